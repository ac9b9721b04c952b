package dev.reflex.rules.expr;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as rules write them: a whole number and a unit, {@code 500ms}, {@code 30s}, {@code 10m}, {@code 2h}, {@code 7d}. */
public final class Durations {
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})\\s*(ms|s|m|h|d)");

    private Durations() {}

    /** Milliseconds, or a {@link RuleException} naming {@code field}. */
    public static long parse(String text, String field) {
        Matcher m = DURATION.matcher(text == null ? "" : text.strip());
        if (!m.matches()) {
            throw new RuleException(
                    field, "'" + text + "' is not a duration; write a number and a unit: 500ms, 30s, 10m, 2h, 7d");
        }
        long n = Long.parseLong(m.group(1));
        long millis = switch (m.group(2)) {
            case "ms" -> n;
            case "s" -> n * 1_000;
            case "m" -> n * 60_000;
            case "h" -> n * 3_600_000;
            default -> n * 86_400_000;
        };
        if (millis <= 0) {
            throw new RuleException(field, "a duration must be more than zero");
        }
        return millis;
    }

    /** A duration as rules write it, the largest whole unit: 600000 is 10m, 1500 is 1500ms. */
    public static String words(long millis) {
        Duration d = Duration.ofMillis(millis);
        if (millis % 86_400_000 == 0 && millis > 0) {
            return d.toDays() + "d";
        } else if (millis % 3_600_000 == 0 && millis > 0) {
            return d.toHours() + "h";
        } else if (millis % 60_000 == 0 && millis > 0) {
            return d.toMinutes() + "m";
        } else if (millis % 1_000 == 0 && millis > 0) {
            return d.toSeconds() + "s";
        }
        return millis + "ms";
    }
}
