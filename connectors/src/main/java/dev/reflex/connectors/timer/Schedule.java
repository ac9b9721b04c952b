package dev.reflex.connectors.timer;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.BitSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * When a timer fires: a 5-field cron expression in UTC (minute hour day-of-month month day-of-week; {@code *}, lists,
 * ranges and steps such as {@code * /15} without the space), or {@code @every <n><s|m|h>} aligned to the epoch, so every
 * replica computes the same instants.
 */
public final class Schedule {
    private static final Pattern EVERY = Pattern.compile("@every\\s+(\\d{1,9})\\s*(s|m|h)");

    private final String text;
    private final Duration every;
    private final BitSet minutes;
    private final BitSet hours;
    private final BitSet days;
    private final BitSet months;
    private final BitSet weekdays;
    private final boolean anyDay;
    private final boolean anyWeekday;

    private Schedule(String text, Duration every, BitSet[] fields, boolean anyDay, boolean anyWeekday) {
        this.text = text;
        this.every = every;
        this.minutes = fields == null ? null : fields[0];
        this.hours = fields == null ? null : fields[1];
        this.days = fields == null ? null : fields[2];
        this.months = fields == null ? null : fields[3];
        this.weekdays = fields == null ? null : fields[4];
        this.anyDay = anyDay;
        this.anyWeekday = anyWeekday;
    }

    public static Schedule parse(String text) {
        String s = text.strip();
        Matcher m = EVERY.matcher(s);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            Duration every = switch (m.group(2)) {
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
            };
            if (every.isZero()) {
                throw new IllegalArgumentException("'" + text + "': the interval must be more than zero");
            }
            return new Schedule(s, every, null, true, true);
        }
        String[] parts = s.split("\\s+");
        if (parts.length != 5) {
            throw new IllegalArgumentException(
                    "'" + text + "' is neither a 5-field cron expression (minute hour day month weekday) "
                            + "nor @every <n>s|m|h");
        }
        BitSet[] fields = {
            field(parts[0], 0, 59, text),
            field(parts[1], 0, 23, text),
            field(parts[2], 1, 31, text),
            field(parts[3], 1, 12, text),
            field(parts[4], 0, 7, text)
        };
        if (fields[4].get(7)) {
            fields[4].set(0);
        }
        return new Schedule(s, null, fields, parts[2].equals("*"), parts[4].equals("*"));
    }

    private static BitSet field(String spec, int min, int max, String text) {
        BitSet bits = new BitSet(max + 1);
        for (String item : spec.split(",")) {
            int step = 1;
            String range = item;
            int slash = item.indexOf('/');
            if (slash >= 0) {
                step = number(item.substring(slash + 1), 1, max, text);
                range = item.substring(0, slash);
            }
            int from;
            int to;
            if (range.equals("*")) {
                from = min;
                to = max;
            } else if (range.contains("-")) {
                from = number(range.substring(0, range.indexOf('-')), min, max, text);
                to = number(range.substring(range.indexOf('-') + 1), min, max, text);
            } else {
                from = number(range, min, max, text);
                to = slash >= 0 ? max : from;
            }
            for (int v = from; v <= to; v += step) {
                bits.set(v);
            }
        }
        return bits;
    }

    private static int number(String s, int min, int max, String text) {
        try {
            int n = Integer.parseInt(s);
            if (n < min || n > max) {
                throw new IllegalArgumentException("'" + text + "': " + n + " is outside " + min + "-" + max);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "': '" + s + "' is not a number");
        }
    }

    /** The first firing strictly after {@code after}. */
    public Instant next(Instant after) {
        if (every != null) {
            long step = every.toMillis();
            return Instant.ofEpochMilli((after.toEpochMilli() / step + 1) * step);
        }
        ZonedDateTime t =
                after.atZone(ZoneOffset.UTC).truncatedTo(ChronoUnit.MINUTES).plusMinutes(1);
        for (int i = 0; i < 4 * 366 * 24 * 60; i++) {
            if (matches(t)) {
                return t.toInstant();
            }
            t = t.plusMinutes(1);
        }
        throw new IllegalStateException("'" + text + "' never fires");
    }

    private boolean matches(ZonedDateTime t) {
        if (!minutes.get(t.getMinute()) || !hours.get(t.getHour()) || !months.get(t.getMonthValue())) {
            return false;
        }
        boolean day = days.get(t.getDayOfMonth());
        boolean weekday = weekdays.get(t.getDayOfWeek().getValue() % 7);
        // as in cron: when both are restricted, either may match
        return anyDay ? weekday : anyWeekday ? day : day || weekday;
    }

    @Override
    public String toString() {
        return text;
    }
}
