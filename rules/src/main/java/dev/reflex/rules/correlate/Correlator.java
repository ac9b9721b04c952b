package dev.reflex.rules.correlate;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import dev.reflex.rules.CompiledRule;
import dev.reflex.rules.Evaluation;
import dev.reflex.rules.ThenRenderer;
import dev.reflex.rules.expr.Durations;
import dev.reflex.rules.expr.EventView;
import dev.reflex.rules.expr.Expression;
import dev.reflex.rules.expr.ExpressionGuard;
import dev.reflex.rules.expr.ReadOnlyViews;
import dev.reflex.rules.expr.RuleFunctions;
import dev.reflex.schemas.ActionIds;
import dev.reflex.schemas.CorrelationOutcome;
import dev.reflex.schemas.CorrelationRole;
import dev.reflex.schemas.CorrelationState;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.Outcome;

/**
 * Correlation's logic, pure: one step takes a key's state and an event (or a due deadline) and gives the new state,
 * the outcome in words, and a firing when the rule fires. The engine keeps the state in a changelogged store, an audit
 * re-runs a step from the state a decision recorded, and {@code reflex rules test} runs it in memory.
 * Count, after and throttle windows follow event time; debounce and unless deadlines follow the wall clock ({@code now}).
 */
public final class Correlator {
    /** The rule fires: with this event, under this deterministic id, with these correlation values. */
    public record Firing(String id, Event event, int count, Long first, Long last, Long armedAt, Long dueAt) {}

    /**
     * One step's result.
     *
     * @param state   the state to keep; null: drop the key's state
     * @param record  what the decision records (outcome words are in {@link #detail})
     * @param firing  when the outcome is FIRED
     */
    public record Step(
            CorrelationState state, Outcome outcome, String detail, CorrelationOutcome record, Firing firing) {}

    private Correlator() {}

    /** The state of a key never seen, or whose rule changed its when or correlate. */
    public static CorrelationState fresh(CompiledCorrelation c) {
        return CorrelationState.newBuilder()
                .setShape(c.shape())
                .setCounted(new ArrayList<>())
                .setFired(new ArrayList<>())
                .build();
    }

    /**
     * One event that matched the rule in {@code role}.
     *
     * @param before    the key's state, null when there is none
     * @param eventTime the event's time (the record's time when the event has none)
     * @param now       the wall clock
     */
    public static Step onEvent(
            CompiledRule rule,
            CorrelationState before,
            CorrelationRole role,
            String key,
            Event event,
            long eventTime,
            long now) {
        CompiledCorrelation c = rule.correlation();
        CorrelationState s = before == null || !c.shape().equals(before.getShape()) ? fresh(c) : copy(before);
        CorrelationState seen = withoutEvent(s);
        CorrelationOutcome.Builder record = CorrelationOutcome.newBuilder()
                .setKey(key)
                .setRole(role)
                .setEventTime(eventTime)
                .setSeen(seen)
                .setBy(event.getId());
        if (c.windowed()
                && role != CorrelationRole.UNLESS
                && s.getNewest() != null
                && eventTime < s.getNewest() - c.latenessMs()) {
            long late = s.getNewest() - eventTime;
            record.setLateMs(late);
            return new Step(
                    expiring(s, c, now),
                    Outcome.LATE,
                    "event time " + at(eventTime) + " is " + Durations.words(late)
                            + " behind the newest event for the key, more than the lateness of "
                            + Durations.words(c.latenessMs()) + "; not counted",
                    record.build(),
                    null);
        }
        if (role != CorrelationRole.UNLESS) {
            s.setNewest(s.getNewest() == null ? eventTime : Math.max(s.getNewest(), eventTime));
        }
        return switch (role) {
            case AFTER -> after(c, s, record, event, eventTime, now);
            case UNLESS -> unless(c, s, record, event, now);
            case TRIGGER -> trigger(rule, s, record, key, event, eventTime, now);
            default -> throw new IllegalArgumentException(role + " is not a correlation event's role");
        };
    }

    private static Step after(
            CompiledCorrelation c,
            CorrelationState s,
            CorrelationOutcome.Builder record,
            Event event,
            long eventTime,
            long now) {
        if (s.getAfterAt() == null || eventTime >= s.getAfterAt()) {
            s.setAfterAt(eventTime);
            s.setAfterBy(event.getId());
        }
        return new Step(
                expiring(s, c, now),
                Outcome.NOTED,
                "'after' event seen at " + at(eventTime) + ": the rule's events for this key fire until "
                        + at(s.getAfterAt() + c.afterWithinMs()),
                record.build(),
                null);
    }

    private static Step unless(
            CompiledCorrelation c, CorrelationState s, CorrelationOutcome.Builder record, Event event, long now) {
        if (s.getDueAt() == null) {
            return new Step(
                    expiring(s, c, now),
                    Outcome.NOTED,
                    "'unless' event seen, but nothing was armed for the key to cancel",
                    record.build(),
                    null);
        }
        record.setArmedAt(s.getArmedAt()).setDueAt(s.getDueAt());
        String detail = "cancelled by event " + event.getId() + "; armed at " + at(s.getArmedAt()) + " by "
                + s.getArmedBy() + ", it was due at " + at(s.getDueAt());
        disarm(s);
        return new Step(expiring(s, c, now), Outcome.CANCELLED, detail, record.build(), null);
    }

    private static Step trigger(
            CompiledRule rule,
            CorrelationState s,
            CorrelationOutcome.Builder record,
            String key,
            Event event,
            long eventTime,
            long now) {
        CompiledCorrelation c = rule.correlation();
        if (c.hasAfter()
                && (s.getAfterAt() == null
                        || s.getAfterAt() > eventTime
                        || eventTime - s.getAfterAt() > c.afterWithinMs())) {
            return new Step(
                    expiring(s, c, now),
                    Outcome.CONDITION_FALSE,
                    "no 'after' event for the key in the " + Durations.words(c.afterWithinMs()) + " before"
                            + (s.getAfterAt() == null ? "" : " (the last was at " + at(s.getAfterAt()) + ")"),
                    record.build(),
                    null);
        }
        int count = 1;
        long first = eventTime;
        long last = eventTime;
        String firingId;
        if (c.counts()) {
            if (eventTime < s.getNewest() - c.countWithinMs()) {
                // within the lateness, but older than the window that ends at the newest event: nothing to count it
                // with
                long late = s.getNewest() - eventTime;
                record.setLateMs(late);
                return new Step(
                        expiring(s, c, now),
                        Outcome.LATE,
                        "event time " + at(eventTime) + " is " + Durations.words(late)
                                + " behind the newest event for the key, before the "
                                + Durations.words(c.countWithinMs()) + " window; not counted",
                        record.build(),
                        null);
            }
            List<Long> counted = new ArrayList<>(s.getCounted());
            counted.add(eventTime);
            Collections.sort(counted);
            long from = s.getNewest() - c.countWithinMs();
            counted.removeIf(t -> t < from);
            while (counted.size() > c.atLeast()) {
                counted.remove(0);
            }
            record.setCount(counted.size()).setFirst(counted.get(0)).setLast(counted.get(counted.size() - 1));
            if (counted.size() < c.atLeast()) {
                s.setCounted(counted);
                return new Step(
                        expiring(s, c, now),
                        Outcome.COUNTED,
                        counted.size() + " of " + c.atLeast() + " within " + Durations.words(c.countWithinMs())
                                + ", first at " + at(counted.get(0)),
                        record.build(),
                        null);
            }
            count = counted.size();
            first = counted.get(0);
            last = counted.get(counted.size() - 1);
            s.setCounted(new ArrayList<>());
            firingId = ActionIds.hash(rule.id(), rule.version(), key, "count", Long.toString(first), event.getId());
        } else {
            firingId = ActionIds.hash(rule.id(), rule.version(), key, "event", event.getId());
        }
        if (c.debounceMs() > 0) {
            if (s.getDueAt() == null) {
                s.setArmedAt(now);
                s.setArmedFirst(eventTime);
                s.setArmedCount(0);
            }
            s.setDueAt(now + c.debounceMs());
            s.setArmedBy(event.getId());
            s.setArmedCount(s.getArmedCount() + 1);
            s.setPending(event);
            record.setArmedAt(s.getArmedAt()).setDueAt(s.getDueAt()).setCount(s.getArmedCount());
            return new Step(
                    expiring(s, c, now),
                    Outcome.ARMED,
                    "due at " + at(s.getDueAt()) + " if the key stays quiet for " + Durations.words(c.debounceMs())
                            + " (" + s.getArmedCount() + " event(s) since " + at(s.getArmedAt()) + ")",
                    record.build(),
                    null);
        }
        if (c.hasUnless()) {
            if (s.getDueAt() != null) {
                record.setArmedAt(s.getArmedAt()).setDueAt(s.getDueAt());
                return new Step(
                        expiring(s, c, now),
                        Outcome.ARMED,
                        "already armed at " + at(s.getArmedAt()) + " by " + s.getArmedBy() + ", due at "
                                + at(s.getDueAt()),
                        record.build(),
                        null);
            }
            s.setArmedAt(now);
            s.setDueAt(now + c.unlessWithinMs());
            s.setArmedBy(event.getId());
            s.setArmedCount(count);
            s.setArmedFirst(first);
            s.setPending(event);
            record.setArmedAt(now).setDueAt(s.getDueAt());
            return new Step(
                    expiring(s, c, now),
                    Outcome.ARMED,
                    "due at " + at(s.getDueAt()) + " unless an 'unless' event for the key" + " comes first",
                    record.build(),
                    null);
        }
        return fire(
                rule,
                s,
                record,
                new Firing(firingId, event, count, first, last, null, null),
                eventTime,
                now,
                count
                        + (c.counts()
                                ? " within " + Durations.words(c.countWithinMs()) + ", first at " + at(first)
                                : " event"));
    }

    /**
     * The key's deadline is due at {@code now} (or overdue): the rule fires with the event that armed it (for debounce,
     * the last one), unless throttled. Null when the state holds no deadline due by {@code now}.
     */
    public static Step onDeadline(CompiledRule rule, CorrelationState before, String key, long now) {
        CompiledCorrelation c = rule.correlation();
        if (before == null
                || !c.shape().equals(before.getShape())
                || before.getDueAt() == null
                || before.getDueAt() > now) {
            return null;
        }
        CorrelationState s = copy(before);
        long due = s.getDueAt();
        long late = now - due;
        CorrelationOutcome.Builder record = CorrelationOutcome.newBuilder()
                .setKey(key)
                .setRole(CorrelationRole.DEADLINE)
                .setEventTime(due)
                .setSeen(withoutEvent(s))
                .setBy(s.getArmedBy())
                .setArmedAt(s.getArmedAt())
                .setDueAt(due)
                .setLateMs(late)
                .setCount(s.getArmedCount())
                .setFirst(s.getArmedFirst());
        String id = ActionIds.hash(
                rule.id(), rule.version(), key, "deadline", Long.toString(due), String.valueOf(s.getArmedBy()));
        Event event = s.getPending();
        Firing firing = new Firing(id, event, s.getArmedCount(), s.getArmedFirst(), null, s.getArmedAt(), due);
        disarm(s);
        String why = (c.debounceMs() > 0
                        ? "quiet for " + Durations.words(c.debounceMs())
                        : "no 'unless' event within " + Durations.words(c.unlessWithinMs()))
                + "; due at " + at(due) + ", fired " + Durations.words(late) + " after";
        return fire(rule, s, record, firing, due, now, why);
    }

    private static Step fire(
            CompiledRule rule,
            CorrelationState s,
            CorrelationOutcome.Builder record,
            Firing firing,
            long time,
            long now,
            String why) {
        CompiledCorrelation c = rule.correlation();
        record.setFiringId(firing.id())
                .setCount(firing.count())
                .setFirst(firing.first())
                .setLast(firing.last());
        if (c.throttles()) {
            List<Long> fired = new ArrayList<>(s.getFired());
            fired.removeIf(f -> f <= time - c.throttlePerMs());
            if (fired.size() >= c.throttleMax()) {
                long until = fired.get(0) + c.throttlePerMs();
                record.setUntil(until);
                s.setFired(fired);
                return new Step(
                        expiring(s, c, now),
                        Outcome.THROTTLED,
                        why + "; throttled until " + at(until) + " (" + c.throttleMax() + " firing(s) per "
                                + Durations.words(c.throttlePerMs()) + ")",
                        record.build(),
                        null);
            }
            fired.add(time);
            s.setFired(fired);
        }
        return new Step(expiring(s, c, now), Outcome.FIRED, why, record.build(), firing);
    }

    /** The {@code correlation} that templates and conditions read. */
    public static Map<String, Object> variables(
            String key, int count, Long first, Long last, Long armedAt, Long dueAt) {
        Map<String, Object> values = new HashMap<>(8);
        values.put("key", key);
        values.put("count", count);
        values.put("first", first == null ? null : at(first));
        values.put("last", last == null ? null : at(last));
        values.put("armedAt", armedAt == null ? null : at(armedAt));
        values.put("dueAt", dueAt == null ? null : at(dueAt));
        return ReadOnlyViews.map(values);
    }

    /** What the rule does when it fires: its {@code then} rendered with the firing's event and correlation values. */
    public static Evaluation.Rendering render(
            CompiledRule rule,
            Firing firing,
            String key,
            String causeId,
            Function<String, String> registers,
            Instant now) {
        Map<String, Object> variables = new HashMap<>(6);
        variables.put("event", EventView.of(firing.event()));
        variables.put("registers", ReadOnlyViews.registers(registers));
        variables.put(ExpressionGuard.FUNCTIONS_VARIABLE, new RuleFunctions(now.toEpochMilli()));
        variables.put(
                "correlation",
                variables(key, firing.count(), firing.first(), firing.last(), firing.armedAt(), firing.dueAt()));
        try {
            ThenRenderer.Rendered rendered =
                    ThenRenderer.render(rule, firing.event(), causeId, firing.id(), variables, now);
            return new Evaluation.Rendering(rendered.actions(), rendered.registerOps(), null);
        } catch (ThenRenderer.Failed e) {
            return new Evaluation.Rendering(List.of(), List.of(), e.step + ": " + Expression.firstLine(e.getMessage()));
        }
    }

    private static void disarm(CorrelationState s) {
        s.setArmedAt(null);
        s.setDueAt(null);
        s.setArmedBy(null);
        s.setArmedCount(0);
        s.setArmedFirst(null);
        s.setPending(null);
    }

    /** The state, kept until it has been idle for as long as any of its windows (a deadline keeps it too). */
    private static CorrelationState expiring(CorrelationState s, CompiledCorrelation c, long now) {
        long from = s.getDueAt() == null ? now : Math.max(now, s.getDueAt());
        s.setExpiresAt(from + c.idleMs());
        return s;
    }

    private static CorrelationState copy(CorrelationState s) {
        CorrelationState copy = CorrelationState.newBuilder(s).build();
        copy.setCounted(new ArrayList<>(s.getCounted()));
        copy.setFired(new ArrayList<>(s.getFired()));
        return copy;
    }

    private static CorrelationState withoutEvent(CorrelationState s) {
        CorrelationState seen = copy(s);
        seen.setPending(null);
        return seen;
    }

    static String at(long millis) {
        return Instant.ofEpochMilli(millis).toString();
    }
}
