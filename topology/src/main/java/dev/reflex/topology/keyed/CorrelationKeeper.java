package dev.reflex.topology.keyed;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.reflex.rules.CompiledRule;
import dev.reflex.rules.Evaluation;
import dev.reflex.rules.IndexedRule;
import dev.reflex.rules.QuarantinedRule;
import dev.reflex.rules.RuleBook;
import dev.reflex.rules.correlate.Correlator;
import dev.reflex.schemas.CorrelationInput;
import dev.reflex.schemas.CorrelationState;
import dev.reflex.schemas.DecisionDetail;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.Outcome;
import dev.reflex.schemas.RuleOutcome;

/**
 * Correlation rules' state, one changelogged entry per rule and key ({@code correlation-state}), each armed deadline in
 * the {@link TimerIndex}: an event or a due deadline is one pure step of {@link Correlator} over the key's state, recorded
 * as a decision (detail CORRELATION) with the state it saw, keyed by the event id, or by the firing id for a deadline.
 */
final class CorrelationKeeper {
    private static final Logger LOG = LoggerFactory.getLogger(CorrelationKeeper.class);

    private final KeyValueStore<String, CorrelationState> states;
    private final TimerIndex timers;
    private final RuleBook rules;
    private final Function<String, String> registers;
    private final KeyedRecorder recorder;
    private final Map<String, String> shapes = new HashMap<>();
    private String sweepFrom;

    CorrelationKeeper(
            KeyValueStore<String, CorrelationState> states,
            TimerIndex timers,
            RuleBook rules,
            Function<String, String> registers,
            KeyedRecorder recorder) {
        this.states = states;
        this.timers = timers;
        this.rules = rules;
        this.registers = registers;
        this.recorder = recorder;
    }

    /** Whether {@code stateKey} holds a correlation rule's state. */
    boolean holds(String stateKey) {
        return states.get(stateKey) != null;
    }

    /** An event that matched a correlation rule, as its trigger or companion. */
    void input(CorrelationInput input, long eventTime, long now) {
        Event event = input.getEvent();
        String stateKey = new StateKey(input.getRuleId(), input.getKey()).toString();
        IndexedRule rule = rules.get(input.getRuleId()).orElse(null);
        RuleOutcome.Builder outcome =
                RuleOutcome.newBuilder().setRuleId(input.getRuleId()).setRuleVersion(input.getRuleVersion());
        if (!(rule instanceof CompiledRule compiled)
                || compiled.correlation() == null
                || !rule.rule().getEnabled()) {
            outcome.setOutcome(
                            rule instanceof QuarantinedRule
                                    ? Outcome.QUARANTINED
                                    : rule == null ? Outcome.ERROR : Outcome.DISABLED)
                    .setDetail(
                            rule == null
                                    ? "the rule was removed before its correlation step"
                                    : rule instanceof QuarantinedRule q
                                            ? q.reason()
                                            : rule.rule().getEnabled() ? "the rule no longer correlates" : null);
            record(event.getId(), event, input.getKey(), outcome.build(), null, now);
            return;
        }
        CorrelationState before = states.get(stateKey);
        Correlator.Step step =
                Correlator.onEvent(compiled, before, input.getRole(), input.getKey(), event, eventTime, now);
        save(stateKey, before, step.state());
        outcome.setRuleVersion(compiled.version())
                .setOutcome(step.outcome())
                .setDetail(step.detail())
                .setCorrelation(step.record());
        record(
                event.getId(),
                event,
                input.getKey(),
                outcome.build(),
                step.firing() == null ? null : new Fire(compiled, step.firing(), event.getId()),
                now);
    }

    /** A deadline due: fires it, unless the key's state no longer holds it or the rule changed what it correlates. */
    void deadline(TimerIndex.Due due, long now) {
        CorrelationState state = states.get(due.stateKey());
        if (state == null || state.getDueAt() == null || state.getDueAt() != due.dueAt()) {
            timers.forget(due);
            return;
        }
        StateKey key = due.key();
        IndexedRule rule = rules.get(key.ruleId()).orElse(null);
        if (!(rule instanceof CompiledRule compiled)
                || compiled.correlation() == null
                || !compiled.correlation().shape().equals(state.getShape())) {
            // the rule was removed or changed what it correlates: its state is gone, deadlines included
            save(due.stateKey(), state, null);
            return;
        }
        Correlator.Step step = Correlator.onDeadline(compiled, state, key.key(), now);
        save(due.stateKey(), state, step.state());
        RuleOutcome.Builder outcome = RuleOutcome.newBuilder()
                .setRuleId(key.ruleId())
                .setRuleVersion(compiled.version())
                .setCorrelation(step.record());
        Fire fire = null;
        if (!compiled.rule().getEnabled()) {
            outcome.setOutcome(Outcome.DISABLED)
                    .setDetail("deadline due at " + Instant.ofEpochMilli(due.dueAt()) + " not fired: " + step.detail());
        } else {
            outcome.setOutcome(step.outcome()).setDetail(step.detail());
            fire = step.firing() == null ? null : new Fire(compiled, step.firing(), null);
        }
        record(step.record().getFiringId(), null, key.key(), outcome.build(), fire, now);
    }

    /** A deadline that could not be fired: dropped with the key's state, and a decision saying so. */
    void dropFailed(TimerIndex.Due due, long now, RuntimeException e) {
        timers.forget(due);
        if (states.get(due.stateKey()) != null) {
            states.delete(due.stateKey());
        }
        StateKey key = due.key();
        RuleOutcome outcome = RuleOutcome.newBuilder()
                .setRuleId(key.ruleId())
                .setRuleVersion(
                        rules.get(key.ruleId()).map(IndexedRule::version).orElse(""))
                .setOutcome(Outcome.ERROR)
                .setDetail("the deadline due at " + Instant.ofEpochMilli(due.dueAt())
                        + " could not be fired and was dropped with the key's state: " + e)
                .build();
        record("deadline-error-" + due.stateKey() + "-" + due.dueAt(), null, key.key(), outcome, null, now);
    }

    /** A firing to render: its rule, the firing, and the event id that caused it (null: the deadline, its firing id). */
    private record Fire(CompiledRule rule, Correlator.Firing firing, String causeId) {}

    /**
     * Records one correlation decision under {@code id} (the event's, or for a deadline the firing's; {@code event} null),
     * emitting the firing's actions and register operations when there is one.
     */
    private void record(String id, Event event, String key, RuleOutcome outcome, Fire fire, long now) {
        Map<String, String> read = new TreeMap<>();
        KeyedRecorder.Step step = new KeyedRecorder.Step(outcome, List.of(), List.of(), read);
        if (fire != null) {
            String cause =
                    fire.causeId() != null ? fire.causeId() : fire.firing().id();
            Evaluation.Rendering rendering = Correlator.render(
                    fire.rule(),
                    fire.firing(),
                    key,
                    cause,
                    KeyedRecorder.recording(registers, read),
                    Instant.ofEpochMilli(now));
            if (rendering.error() != null) {
                outcome.setOutcome(Outcome.ERROR);
                outcome.setDetail(rendering.error() + " (when it fired: " + outcome.getDetail() + ")");
            } else {
                recorder.emit(rendering.actions(), rendering.registerOps(), now);
                step = new KeyedRecorder.Step(outcome, rendering.actions(), rendering.registerOps(), read);
            }
        }
        recorder.decide(id, event, "correlation.deadline", key, step, DecisionDetail.CORRELATION, now);
    }

    /** Stores the key's new state (null: drops it) and moves its deadline in the timer index. */
    private void save(String stateKey, CorrelationState before, CorrelationState after) {
        timers.move(stateKey, before == null ? null : before.getDueAt(), after == null ? null : after.getDueAt());
        if (after == null) {
            states.delete(stateKey);
        } else {
            states.put(stateKey, after);
        }
    }

    /** Drops the state of correlation rules removed, or whose when or correlate changed, since the last look. */
    void dropChangedRules() {
        Map<String, String> current = new HashMap<>();
        for (IndexedRule rule : rules.all()) {
            if (rule instanceof CompiledRule compiled && compiled.correlation() != null) {
                current.put(rule.id(), compiled.correlation().shape());
            }
        }
        for (Map.Entry<String, String> known : shapes.entrySet()) {
            if (!known.getValue().equals(current.get(known.getKey()))) {
                int dropped = 0;
                try (KeyValueIterator<String, CorrelationState> it = states.prefixScan(
                        StateKey.prefix(known.getKey()), Serdes.String().serializer())) {
                    while (it.hasNext()) {
                        KeyValue<String, CorrelationState> next = it.next();
                        if (!next.value.getShape().equals(current.get(known.getKey()))) {
                            save(next.key, next.value, null);
                            dropped++;
                        }
                    }
                }
                if (dropped > 0) {
                    LOG.info(
                            "rule {} was removed or changed what it correlates: dropped the state of {} key(s)",
                            known.getKey(),
                            dropped);
                }
            }
        }
        shapes.clear();
        shapes.putAll(current);
    }

    /** How many keys hold state, about (RocksDB's estimate). */
    long keys() {
        return states.approximateNumEntries();
    }

    /** Looks at the next {@code limit} keys and drops those idle past their expiry or left by a rule that no longer correlates them. */
    void sweep(long now, int limit) {
        int looked = 0;
        String last = null;
        try (KeyValueIterator<String, CorrelationState> it =
                sweepFrom == null ? states.all() : states.range(sweepFrom, null)) {
            while (it.hasNext() && looked < limit) {
                KeyValue<String, CorrelationState> next = it.next();
                looked++;
                last = next.key;
                IndexedRule rule = rules.get(StateKey.parse(next.key).ruleId()).orElse(null);
                boolean orphan = rule instanceof CompiledRule compiled
                                && (compiled.correlation() == null
                                        || !compiled.correlation().shape().equals(next.value.getShape()))
                        || rule == null;
                if (orphan || next.value.getDueAt() == null && next.value.getExpiresAt() <= now) {
                    save(next.key, next.value, null);
                }
            }
        }
        // next time from just after the last key looked at; from the start again once the end is reached
        sweepFrom = looked < limit || last == null ? null : last + "\u0000";
    }
}
