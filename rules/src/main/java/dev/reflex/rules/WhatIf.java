package dev.reflex.rules;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import dev.reflex.schemas.Action;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.DecisionDetail;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.Outcome;
import dev.reflex.schemas.RegisterOp;
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
        private final List<String> examples = new ArrayList<>(EXAMPLES);

        void add(String eventId) {
            count++;
            if (examples.size() < EXAMPLES) {
                examples.add(eventId);
            }
        }

        public long count() {
            return count;
        }

        public List<String> examples() {
            return examples;
        }
    }

    private final RuleIndex proposed;
    private final DecisionReplay recorded;
    private final Map<String, RuleChange> changes = new TreeMap<>();
    private long events;
    private long unrecordedReads;
    private long actionsNotCompared;

    public WhatIf(RuleIndex proposed, DecisionReplay recorded) {
        this.proposed = proposed;
        this.recorded = recorded;
    }

    /** Builds the proposed index from rules as {@code rules apply} would hold them. */
    public static RuleIndex index(List<dev.reflex.schemas.Rule> rules) {
        List<IndexedRule> compiled = new ArrayList<>(rules.size());
        rules.forEach(rule -> compiled.add(RuleHistory.compile(rule)));
        return new RuleIndex(compiled);
    }

    /**
     * Compares one recorded event. {@code decision} null: the engine recorded none (reflex.decisions.unmatched=none),
     * so nothing matched; {@code eventTime} then stands in for the decision time.
     */
    public void accept(Event event, Decision decision, Instant eventTime) {
        events++;
        Set<String> before = new HashSet<>();
        Map<String, List<String>> beforeEffects = null;
        if (decision != null && decision.getDetail() == DecisionDetail.FULL) {
            for (RuleOutcome outcome : decision.getRules()) {
                if (outcome.getOutcome() == Outcome.MATCHED) {
                    before.add(outcome.getRuleId());
                }
            }
            if (!before.isEmpty()) {
                DecisionReplay.Replayed replayed = recorded.replay(event, decision);
                if (replayed.evaluation() != null) {
                    beforeEffects = effects(replayed.evaluation());
                }
            }
        }
        Set<String> unrecorded = new LinkedHashSet<>();
        Instant now = decision != null ? decision.getDecidedAt() : eventTime;
        Evaluation evaluation = Evaluator.evaluate(event, proposed, DecisionReplay.recordedRegisters(decision, unrecorded), now);
        if (!unrecorded.isEmpty()) {
            unrecordedReads++;
        }
        Set<String> after = new HashSet<>();
        for (RuleOutcome outcome : evaluation.outcomes()) {
            if (outcome.getOutcome() == Outcome.MATCHED) {
                after.add(outcome.getRuleId());
            }
        }
        Map<String, List<String>> afterEffects = after.isEmpty() ? Map.of() : effects(evaluation);
        for (String rule : after) {
            if (!before.contains(rule)) {
                change(rule).newlyFire.add(event.getId());
            } else if (beforeEffects == null) {
                actionsNotCompared++;
            } else if (!beforeEffects.getOrDefault(rule, List.of()).equals(afterEffects.getOrDefault(rule, List.of()))) {
                change(rule).differentActions.add(event.getId());
            }
        }
        for (String rule : before) {
            if (!after.contains(rule)) {
                change(rule).stopFiring.add(event.getId());
            }
        }
    }

    private RuleChange change(String rule) {
        return changes.computeIfAbsent(rule, r -> new RuleChange());
    }

    /** What each rule would do, by rule id: its actions and register operations, without ids or versions. */
    private static Map<String, List<String>> effects(Evaluation evaluation) {
        Map<String, List<String>> effects = new HashMap<>();
        for (Action a : evaluation.actions()) {
            effects.computeIfAbsent(a.getRuleId(), r -> new ArrayList<>())
                .add(a.getSystem() + " " + a.getAction() + " " + a.getTarget() + " " + new TreeMap<>(a.getParams()));
        }
        for (RegisterOp op : evaluation.registerOps()) {
            effects.computeIfAbsent(op.getRuleId(), r -> new ArrayList<>())
                .add(op.getOp() + " " + op.getName() + " " + op.getValue() + " " + op.getTtlMs());
        }
        return effects;
    }

    /** Rules whose behaviour changes, by id. */
    public Map<String, RuleChange> changes() {
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
