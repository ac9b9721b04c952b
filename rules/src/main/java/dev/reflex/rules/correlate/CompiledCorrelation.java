package dev.reflex.rules.correlate;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.function.Supplier;

import dev.reflex.rules.expr.Durations;
import dev.reflex.rules.expr.Expression;
import dev.reflex.rules.expr.RuleException;
import dev.reflex.rules.expr.Template;
import dev.reflex.schemas.Correlate;
import dev.reflex.schemas.CorrelateCompanion;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.Rule;

/**
 * A rule's {@code correlate} block, checked and compiled: what it counts, throttles, delays or waits for, per key.
 * Combinations that mean nothing are refused with the reason (see docs/rules.md).
 */
public final class CompiledCorrelation {
    /** Most events a count or firings a throttle may remember per key: the bound on a key's state. */
    public static final int MAX_REMEMBERED = 1_000;
    /** How late, by event time, an event may be and still count, when a rule does not say. */
    public static final long DEFAULT_LATENESS_MS = 60_000;

    /** An event of another kind that the rule watches: its {@code unless} or {@code after}. */
    public record Companion(String source, String type, Expression condition, long withinMs) {
        public boolean matches(Event event, Map<String, Object> variables) {
            if (source != null && !source.equals(event.getSource()) || type != null && !type.equals(event.getType())) {
                return false;
            }
            if (condition == null) {
                return true;
            }
            Object result = condition.evaluate(variables);
            if (!(result instanceof Boolean b)) {
                throw new IllegalStateException(
                        "evaluated to " + (result == null ? "null" : result) + ", not true or false");
            }
            return b;
        }
    }

    private final Template key;
    private final int atLeast;
    private final long countWithinMs;
    private final int throttleMax;
    private final long throttlePerMs;
    private final long debounceMs;
    private final Companion unless;
    private final Companion after;
    private final long latenessMs;
    private final String shape;

    private CompiledCorrelation(
            Template key,
            int atLeast,
            long countWithinMs,
            int throttleMax,
            long throttlePerMs,
            long debounceMs,
            Companion unless,
            Companion after,
            long latenessMs,
            String shape) {
        this.key = key;
        this.atLeast = atLeast;
        this.countWithinMs = countWithinMs;
        this.throttleMax = throttleMax;
        this.throttlePerMs = throttlePerMs;
        this.debounceMs = debounceMs;
        this.unless = unless;
        this.after = after;
        this.latenessMs = latenessMs;
        this.shape = shape;
    }

    /** Checks and compiles the rule's correlate block; a {@link RuleException} names the field at fault. */
    public static CompiledCorrelation compile(Rule rule) {
        Correlate c = rule.getCorrelate();
        boolean any = c.getCount() != null
                || c.getThrottle() != null
                || c.getDebounce() != null
                || c.getUnless() != null
                || c.getAfter() != null;
        if (!any) {
            throw new RuleException(
                    "correlate",
                    "'correlate' needs at least one of count, throttle, debounce, unless, after;"
                            + " a key alone changes nothing");
        }
        if (c.getDebounce() != null && c.getUnless() != null) {
            throw new RuleException(
                    "correlate.debounce",
                    "debounce and unless both set a deadline for the key and cannot be combined;"
                            + " debounce fires after a quiet period, unless fires when an expected event does not come: use one");
        }
        if (c.getDebounce() != null && c.getCount() != null) {
            throw new RuleException(
                    "correlate.debounce",
                    "debounce and count cannot be combined: debounce fires once per burst,"
                            + " whatever its size; to fire on bursts of a size, use count (with throttle to limit firings)");
        }
        if (c.getLateness() != null && c.getCount() == null && c.getAfter() == null && c.getThrottle() == null) {
            throw new RuleException(
                    "correlate.lateness",
                    "lateness applies to windows that follow event time (count, after,"
                            + " throttle); debounce and unless deadlines follow the wall clock");
        }
        Template key = null;
        if (c.getKey() != null) {
            if (c.getKey().isBlank()) {
                throw new RuleException(
                        "correlate.key", "the key is empty; leave it out to correlate by the event's subject");
            }
            key = at("correlate.key", () -> Template.compile(c.getKey()));
        }
        int atLeast = 0;
        long countWithin = 0;
        if (c.getCount() != null) {
            atLeast = c.getCount().getAtLeast();
            if (atLeast < 2 || atLeast > MAX_REMEMBERED) {
                throw new RuleException(
                        "correlate.count.atLeast",
                        "atLeast must be from 2 to " + MAX_REMEMBERED + ", not " + atLeast
                                + (atLeast == 1 ? " (1 fires on every event: leave count out)" : ""));
            }
            countWithin = Durations.parse(c.getCount().getWithin(), "correlate.count.within");
        }
        int max = 0;
        long per = 0;
        if (c.getThrottle() != null) {
            max = c.getThrottle().getMax();
            if (max < 1 || max > MAX_REMEMBERED) {
                throw new RuleException(
                        "correlate.throttle.max", "max must be from 1 to " + MAX_REMEMBERED + ", not " + max);
            }
            per = Durations.parse(c.getThrottle().getPer(), "correlate.throttle.per");
        }
        long debounce = c.getDebounce() == null ? 0 : Durations.parse(c.getDebounce(), "correlate.debounce");
        Companion unless = companion(c.getUnless(), "correlate.unless", rule);
        Companion after = companion(c.getAfter(), "correlate.after", rule);
        long lateness =
                c.getLateness() == null ? DEFAULT_LATENESS_MS : Durations.parse(c.getLateness(), "correlate.lateness");
        return new CompiledCorrelation(
                key, atLeast, countWithin, max, per, debounce, unless, after, lateness, shapeOf(rule));
    }

    private static Companion companion(CorrelateCompanion companion, String field, Rule rule) {
        if (companion == null) {
            return null;
        }
        if (companion.getSource() == null && companion.getType() == null) {
            throw new RuleException(field, "needs a source and/or type: which events does it watch?");
        }
        if (companion.getSource() != null
                && companion.getType() != null
                && companion.getSource().equals(rule.getWhen().getSource())
                && companion.getType().equals(rule.getWhen().getType())
                && companion.getCondition() == null
                && rule.getWhen().getCondition() == null) {
            throw new RuleException(
                    field, "watches the very events the rule's 'when' matches; give it another type or a condition");
        }
        Expression condition =
                companion.getCondition() == null || companion.getCondition().isBlank()
                        ? null
                        : at(field + ".condition", () -> Expression.compile(companion.getCondition()));
        return new Companion(
                companion.getSource(),
                companion.getType(),
                condition,
                Durations.parse(companion.getWithin(), field + ".within"));
    }

    private static <T> T at(String field, Supplier<T> compile) {
        try {
            return compile.get();
        } catch (RuleException e) {
            throw e.at(field);
        }
    }

    /** A hash of what the state depends on, the rule's when and correlate: when it changes, the state starts again. */
    static String shapeOf(Rule rule) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest((rule.getWhen().toString() + rule.getCorrelate()).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by the Java platform", e);
        }
    }

    /** The correlation key of {@code event}: the key template rendered, or the subject (or id when there is none). */
    public String keyOf(Event event, Map<String, Object> variables) {
        String rendered =
                key == null ? (event.getSubject() != null ? event.getSubject() : event.getId()) : key.render(variables);
        if (rendered == null || rendered.isBlank()) {
            throw new IllegalStateException("the key rendered empty");
        }
        return rendered;
    }

    public String shape() {
        return shape;
    }

    public boolean counts() {
        return atLeast > 0;
    }

    public int atLeast() {
        return atLeast;
    }

    public long countWithinMs() {
        return countWithinMs;
    }

    public boolean throttles() {
        return throttleMax > 0;
    }

    public int throttleMax() {
        return throttleMax;
    }

    public long throttlePerMs() {
        return throttlePerMs;
    }

    public long debounceMs() {
        return debounceMs;
    }

    public Companion unless() {
        return unless;
    }

    public Companion after() {
        return after;
    }

    public boolean hasUnless() {
        return unless != null;
    }

    public long unlessWithinMs() {
        return unless == null ? 0 : unless.withinMs();
    }

    public boolean hasAfter() {
        return after != null;
    }

    public long afterWithinMs() {
        return after == null ? 0 : after.withinMs();
    }

    public long latenessMs() {
        return latenessMs;
    }

    /** Whether event time matters to the rule (count, after or throttle windows), so late events are refused. */
    public boolean windowed() {
        return counts() || hasAfter() || throttles();
    }

    /** How long a key's state is worth keeping after its last change, deadlines aside. */
    public long idleMs() {
        long longest = Math.max(Math.max(countWithinMs, throttlePerMs), afterWithinMs());
        return longest + latenessMs;
    }
}
