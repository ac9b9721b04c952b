package dev.reflex.rules.correlate;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

import dev.reflex.rules.CompiledRule;
import dev.reflex.rules.Evaluation;
import dev.reflex.rules.IndexedRule;
import dev.reflex.schemas.Action;
import dev.reflex.schemas.CorrelationInput;
import dev.reflex.schemas.CorrelationState;
import dev.reflex.schemas.Outcome;
import dev.reflex.schemas.RegisterOp;

/**
 * Correlation in memory, for offline runs ({@code reflex rules test --events}, what-if): the same steps the engine takes,
 * with one clock, the events' own times, standing in for both event time and the wall clock. A deadline fires at its
 * due time, before the first event after it. Starts empty.
 */
public final class CorrelationSimulator {
    /**
     * One correlation step: what a rule made of an event (or of its deadline), with what it emitted when it fired.
     * {@code eventId} is the event the step is about: for a deadline, the event that armed it.
     */
    public record Step(
            String ruleId,
            String key,
            Instant at,
            Outcome outcome,
            String detail,
            boolean deadline,
            String causeId,
            String eventId,
            List<Action> actions,
            List<RegisterOp> registerOps) {}

    private final Function<String, IndexedRule> rules;
    private final Function<String, String> registers;
    private final Map<String, CorrelationState> states = new HashMap<>();
    /** Armed deadlines by due time, then state key. */
    private final TreeMap<String, String> deadlines = new TreeMap<>();

    /** @param rules the rule by id (as the rule book holds it) */
    public CorrelationSimulator(Function<String, IndexedRule> rules, Function<String, String> registers) {
        this.rules = rules;
        this.registers = registers;
    }

    /** Fires the deadlines due by {@code now}, then takes one step for {@code input}. */
    public List<Step> accept(CorrelationInput input, long eventTime, long now) {
        List<Step> steps = new ArrayList<>(advanceTo(now));
        IndexedRule rule = rules.apply(input.getRuleId());
        if (!(rule instanceof CompiledRule compiled) || compiled.correlation() == null) {
            return steps;
        }
        String stateKey = input.getRuleId() + "/" + input.getKey();
        CorrelationState before = states.get(stateKey);
        Correlator.Step step =
                Correlator.onEvent(compiled, before, input.getRole(), input.getKey(), input.getEvent(), eventTime, now);
        save(stateKey, before, step.state());
        steps.add(step(
                compiled, input.getKey(), now, step, false, input.getEvent().getId()));
        return steps;
    }

    /** Fires every deadline due by {@code now}, each at its due time, in time order. */
    public List<Step> advanceTo(long now) {
        List<Step> steps = new ArrayList<>();
        while (!deadlines.isEmpty() && Long.parseLong(deadlines.firstKey().substring(0, 19)) <= now) {
            Map.Entry<String, String> due = deadlines.pollFirstEntry();
            long at = Long.parseLong(due.getKey().substring(0, 19));
            String stateKey = due.getValue();
            String ruleId = stateKey.substring(0, stateKey.indexOf('/'));
            String key = stateKey.substring(ruleId.length() + 1);
            CorrelationState state = states.get(stateKey);
            if (!(rules.apply(ruleId) instanceof CompiledRule compiled) || compiled.correlation() == null) {
                continue;
            }
            Correlator.Step step = Correlator.onDeadline(compiled, state, key, at);
            if (step != null) {
                states.put(stateKey, step.state());
                steps.add(step(compiled, key, at, step, true, step.record().getFiringId()));
            }
        }
        return steps;
    }

    /** When the last armed deadline is due, or null when none is armed. */
    public Long lastDeadline() {
        return deadlines.isEmpty() ? null : Long.parseLong(deadlines.lastKey().substring(0, 19));
    }

    private Step step(CompiledRule rule, String key, long at, Correlator.Step step, boolean deadline, String causeId) {
        List<Action> actions = List.of();
        List<RegisterOp> ops = List.of();
        Outcome outcome = step.outcome();
        String detail = step.detail();
        if (step.firing() != null) {
            Evaluation.Rendering rendering =
                    Correlator.render(rule, step.firing(), key, causeId, registers, Instant.ofEpochMilli(at));
            if (rendering.error() != null) {
                outcome = Outcome.ERROR;
                detail = rendering.error() + " (when it fired: " + detail + ")";
            } else {
                actions = rendering.actions();
                ops = rendering.registerOps();
            }
        }
        return new Step(
                rule.id(),
                key,
                Instant.ofEpochMilli(at),
                outcome,
                detail,
                deadline,
                causeId,
                step.record().getBy(),
                actions,
                ops);
    }

    private void save(String stateKey, CorrelationState before, CorrelationState after) {
        if (before != null && before.getDueAt() != null) {
            deadlines.remove(String.format("%019d", before.getDueAt()) + "|" + stateKey);
        }
        if (after.getDueAt() != null) {
            deadlines.put(String.format("%019d", after.getDueAt()) + "|" + stateKey, stateKey);
        }
        states.put(stateKey, after);
    }
}
