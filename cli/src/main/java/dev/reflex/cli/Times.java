package dev.reflex.cli;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;

import dev.reflex.rules.expr.Durations;
import dev.reflex.rules.expr.RuleException;

/** Points in time as commands take them: {@code now}, an ISO-8601 instant or date, or a duration meaning that long ago. */
final class Times {
    static final String HELP =
            "now, an ISO-8601 time (2026-11-22T08:00:00Z; without a zone: UTC), a date (2026-11-22, its start in UTC), "
                    + "or a duration ago (15m, 2h, 7d)";

    private Times() {}

    static Instant parse(String text, Instant now, String option) {
        String t = text.strip();
        if (t.equals("now")) {
            return now;
        }
        try {
            return now.minusMillis(Durations.parse(t, option));
        } catch (RuleException notADuration) {
            // fall through to the absolute forms
        }
        try {
            return Instant.parse(t);
        } catch (DateTimeParseException e) {
            // not an instant with a zone
        }
        try {
            return LocalDateTime.parse(t).toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            // not a local date-time
        }
        try {
            return LocalDate.parse(t).atStartOfDay().toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            throw new Settings.SettingsException(option + " '" + text + "' is not a time; use " + HELP);
        }
    }
}
