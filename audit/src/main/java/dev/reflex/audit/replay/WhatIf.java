package dev.reflex.audit.replay;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import dev.reflex.audit.history.RuleHistory;
import dev.reflex.rules.CompiledRule;
import dev.reflex.rules.Evaluation;
import dev.reflex.rules.Evaluator;
import dev.reflex.rules.IndexedRule;
import dev.reflex.rules.RuleIndex;
import dev.reflex.rules.correlate.CorrelationSimulator;
import dev.reflex.schemas.Action;
import dev.reflex.schemas.CorrelationInput;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.DecisionDetail;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.Outcome;
import dev.reflex.schemas.RegisterOp;
import dev.reflex.schemas.Rule;
import dev.reflex.schemas.RuleOutcome;

/**
 * Evaluates recorded events against proposed rules and collects, per rule, the events that would newly fire, stop
 * firing, or fire with different actions compared with what was recorded. Conditions read the register values the
 * decisions recorded; a register a decision did not record reads as unset (counted in {@link #unrecordedReads()}).
 * Pure: no Kafka, no side effects.
 */
public final class WhatIf {
    public static final int EXAMPLES = 5;

    /** How one rule's behaviour changes: counts with up to {@link #EXAMPLES} example event ids each. */
    public static final class RuleChange {
        private final Kind newlyFire = new Kind();
        private final Kind stopFiring = new Kind();
        private final Kind differentActions = new Kind();

        public Kind newlyFire() {
            return newlyFire;
        }

        public Kind stopFiring() {
            return stopFiring;
        }

        public Kind differentActions() {
            return differentActions;
        }

        public boolean isEmpty() {
            return newlyFire.count == 0 && stopFiring.count == 0 && differentActions.count == 0;
        }
    }

    public static final class Kind {
        private long count;
        /** The examples seen first in reading order: by sequence number, at most {@link #EXAMPLES}. */
        private final TreeMap<Long, String> examples = new TreeMap<>();

        void add(long sequence, String eventId) {
            count++;
            examples.put(sequence, eventId);
            if (examples.size() > EXAMPLES) {
                examples.pollLastEntry();
            }
        }

        public long count() {
            return count;
        }

        public List<String> examples() {
            return List.copyOf(examples.values());
        }
    }

    /** How one rule's behaviour differs for one event. */
    public enum Difference {
        NEWLY_FIRES,
        STOPS_FIRING,
        DIFFERENT_ACTIONS
    }

    /** What evaluating one event against the proposed rules showed; computed on any thread, merged with {@link #add}. */
    public record Comparison(
            String eventId, Map<String, Difference> differences, boolean unrecordedRead, int actionsNotCompared) {}

    private final RuleIndex proposed;
    private final DecisionReplay recorded;
    /** The proposed rules that correlate, simulated in reading order from an empty state. */
    private final RuleIndex correlating;

    private final CorrelationSimulator simulator;
    private final Map<String, Set<String>> recordedFirings = new TreeMap<>();
    private final Map<String, Set<String>> simulatedFirings = new TreeMap<>();
    private long lastEventTime = Long.MIN_VALUE;
    private long correlationSteps;
    private final Map<String, RuleChange> changes = new TreeMap<>();
    private long events;
    private long unrecordedReads;
    private long actionsNotCompared;

    public WhatIf(RuleIndex proposed, DecisionReplay recorded) {
        this.proposed = proposed;
        this.recorded = recorded;
        Map<String, IndexedRule> byId = new HashMap<>();
        List<IndexedRule> correlating = new ArrayList<>();
        proposed.all().forEach(rule -> {
            byId.put(rule.id(), rule);
            if (rule instanceof CompiledRule compiled && compiled.correlation() != null) {
                correlating.add(rule);
            }
        });
        this.correlating = new RuleIndex(correlating);
        this.simulator = new CorrelationSimulator(byId::get, name -> null);
    }

    /** Whether any proposed rule correlates, so events must also be {@link #simulate simulated} in reading order. */
    public boolean correlates() {
        return correlating.size() > 0;
    }

    /**
     * Takes the correlation steps of the proposed rules for one event, in reading order (one thread): state starts
     * empty at the first event, and the events' own times are the clock (registers read as unset).
     */
    public void simulate(Event event, long eventTime) {
        lastEventTime = Math.max(lastEventTime, eventTime);
        Evaluation evaluation =
                Evaluator.evaluate(event, correlating, name -> null, Instant.ofEpochMilli(lastEventTime));
        for (CorrelationInput input : evaluation.correlations()) {
            long time = event.getTime() == null ? eventTime : event.getTime().toEpochMilli();
            simulator.accept(input, time, lastEventTime).forEach(this::simulated);
        }
    }

    private void simulated(CorrelationSimulator.Step step) {
        correlationSteps++;
        if (step.outcome() == Outcome.FIRED) {
            simulatedFirings
                    .computeIfAbsent(step.ruleId(), r -> new TreeSet<>())
                    .add(step.eventId());
        }
    }

    /** A recorded correlation step (a decision with detail CORRELATION): its firings are compared with the simulation's. */
    public synchronized void recorded(Decision step) {
        for (RuleOutcome outcome : step.getRules()) {
            if (outcome.getCorrelation() != null
                    && outcome.getCorrelation().getFiringId() != null
                    && (outcome.getOutcome() == Outcome.FIRED || outcome.getOutcome() == Outcome.ERROR)) {
                recordedFirings
                        .computeIfAbsent(outcome.getRuleId(), r -> new TreeSet<>())
                        .add(outcome.getCorrelation().getBy());
            }
        }
    }

    /**
     * Fires the simulated deadlines due by {@code end} (the end of the replayed range), then counts, per rule, the
     * events (for a deadline, the event that armed it) whose firing the simulation gained or lost against the recorded
     * correlation steps.
     */
    public synchronized void finishCorrelation(long sequence, Instant end) {
        simulator.advanceTo(end.toEpochMilli()).forEach(this::simulated);
        Set<String> rules = new TreeSet<>(recordedFirings.keySet());
        rules.addAll(simulatedFirings.keySet());
        long at = sequence;
        for (String rule : rules) {
            Set<String> was = recordedFirings.getOrDefault(rule, Set.of());
            Set<String> now = simulatedFirings.getOrDefault(rule, Set.of());
            for (String eventId : now) {
                if (!was.contains(eventId)) {
                    change(rule).newlyFire.add(at++, eventId);
                }
            }
            for (String eventId : was) {
                if (!now.contains(eventId)) {
                    change(rule).stopFiring.add(at++, eventId);
                }
            }
        }
    }

    /** Correlation steps the simulation took. */
    public long correlationSteps() {
        return correlationSteps;
    }

    /** Builds the proposed index from rules as {@code rules apply} would hold them. */
    public static RuleIndex index(List<Rule> rules) {
        List<IndexedRule> compiled = new ArrayList<>(rules.size());
        rules.forEach(rule -> compiled.add(RuleHistory.compile(rule)));
        return new RuleIndex(compiled);
    }

    /**
     * Compares one recorded event (in reading order). {@code decision} null: the engine recorded none
     * (reflex.decisions.unmatched=none), so nothing matched; {@code eventTime} then stands in for the decision time.
     */
    public void accept(Event event, Decision decision, Instant eventTime) {
        add(events, compare(event, decision, eventTime));
    }

    /** Compares one recorded event; safe to call from several threads at once. */
    public Comparison compare(Event event, Decision decision, Instant eventTime) {
        Map<String, String> before = new HashMap<>();
        if (decision != null && decision.getDetail() == DecisionDetail.FULL) {
            for (RuleOutcome outcome : decision.getRules()) {
                if (outcome.getOutcome() == Outcome.MATCHED) {
                    before.put(outcome.getRuleId(), outcome.getRuleVersion());
                }
            }
        }
        Set<String> unrecorded = new LinkedHashSet<>();
        Instant now = decision != null ? decision.getDecidedAt() : eventTime;
        Evaluation evaluation =
                Evaluator.evaluate(event, proposed, DecisionReplay.recordedRegisters(decision, unrecorded), now);
        Map<String, String> after = new HashMap<>();
        for (RuleOutcome outcome : evaluation.outcomes()) {
            if (outcome.getOutcome() == Outcome.MATCHED) {
                after.put(outcome.getRuleId(), outcome.getRuleVersion());
            }
        }
        Map<String, Difference> differences = new TreeMap<>();
        List<String> changedVersion = new ArrayList<>();
        for (Map.Entry<String, String> rule : after.entrySet()) {
            String was = before.get(rule.getKey());
            if (was == null) {
                differences.put(rule.getKey(), Difference.NEWLY_FIRES);
            } else if (!was.equals(rule.getValue())) {
                // the same version on the same event, registers and time does the same: only changed versions are
                // compared
                changedVersion.add(rule.getKey());
            }
        }
        for (String rule : before.keySet()) {
            if (!after.containsKey(rule)) {
                differences.put(rule, Difference.STOPS_FIRING);
            }
        }
        int notCompared = 0;
        if (!changedVersion.isEmpty()) {
            DecisionReplay.Replayed replayed = recorded.replay(event, decision);
            if (replayed.evaluation() == null) {
                notCompared = changedVersion.size();
            } else {
                Map<String, List<String>> beforeEffects = effects(replayed.evaluation());
                Map<String, List<String>> afterEffects = effects(evaluation);
                for (String rule : changedVersion) {
                    if (!beforeEffects
                            .getOrDefault(rule, List.of())
                            .equals(afterEffects.getOrDefault(rule, List.of()))) {
                        differences.put(rule, Difference.DIFFERENT_ACTIONS);
                    }
                }
            }
        }
        return new Comparison(event.getId(), differences, !unrecorded.isEmpty(), notCompared);
    }

    /** Adds the comparison of the event read {@code sequence}-th; examples are the first ones in reading order. */
    public synchronized void add(long sequence, Comparison comparison) {
        events++;
        if (comparison.unrecordedRead()) {
            unrecordedReads++;
        }
        actionsNotCompared += comparison.actionsNotCompared();
        comparison.differences().forEach((rule, difference) -> {
            RuleChange change = change(rule);
            Kind kind = switch (difference) {
                case NEWLY_FIRES -> change.newlyFire;
                case STOPS_FIRING -> change.stopFiring;
                case DIFFERENT_ACTIONS -> change.differentActions;
            };
            kind.add(sequence, comparison.eventId());
        });
    }

    private RuleChange change(String rule) {
        return changes.computeIfAbsent(rule, r -> new RuleChange());
    }

    /** What each rule would do, by rule id: its actions and register operations, without ids or versions. */
    private static Map<String, List<String>> effects(Evaluation evaluation) {
        Map<String, List<String>> effects = new HashMap<>();
        for (Action a : evaluation.actions()) {
            effects.computeIfAbsent(a.getRuleId(), r -> new ArrayList<>())
                    .add(a.getSystem() + " " + a.getAction() + " " + a.getTarget() + " "
                            + new TreeMap<>(a.getParams()));
        }
        for (RegisterOp op : evaluation.registerOps()) {
            effects.computeIfAbsent(op.getRuleId(), r -> new ArrayList<>())
                    .add(op.getOp() + " " + op.getName() + " " + op.getValue() + " " + op.getTtlMs());
        }
        return effects;
    }

    /** Rules whose behaviour changes, by id. */
    public synchronized Map<String, RuleChange> changes() {
        return changes;
    }

    public long events() {
        return events;
    }

    /** Events for which a proposed rule read a register its decision did not record (read as unset). */
    public long unrecordedReads() {
        return unrecordedReads;
    }

    /** Matches whose recorded actions could not be rebuilt (their rule version is not in the history). */
    public long actionsNotCompared() {
        return actionsNotCompared;
    }
}
