package dev.reflex.rules.correlate;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.reflex.schemas.Decision;
import dev.reflex.schemas.DecisionDetail;
import dev.reflex.schemas.Outcome;
import dev.reflex.schemas.RuleOutcome;

/**
 * An event's story is its own decision plus the correlation steps it caused (decisions with detail CORRELATION under
 * the same id). These are put together so that the rule's line tells what correlation made of the event.
 */
public final class CorrelationSteps {
    private CorrelationSteps() {}

    /** Whether {@code decision} records one correlation step or one flow input. */
    public static boolean isStep(Decision decision) {
        return decision.getDetail() == DecisionDetail.CORRELATION || decision.getDetail() == DecisionDetail.FLOW;
    }

    /**
     * {@code decision} with {@code step} folded in: the rule's CORRELATING outcome replaced by the step's, and the step's
     * actions, register operations and register reads added. Either may be null.
     */
    public static Decision merge(Decision decision, Decision step) {
        if (decision == null || step == null) {
            return decision == null ? step : decision;
        }
        Decision merged = Decision.newBuilder(decision).build();
        List<RuleOutcome> rules = new ArrayList<>(decision.getRules());
        for (RuleOutcome outcome : step.getRules()) {
            int at = -1;
            for (int i = 0; i < rules.size() && at < 0; i++) {
                if (rules.get(i).getRuleId().equals(outcome.getRuleId())
                        && rules.get(i).getOutcome() == Outcome.CORRELATING) {
                    at = i;
                }
            }
            if (at >= 0) {
                rules.set(at, outcome);
            } else {
                rules.add(outcome);
            }
        }
        merged.setRules(rules);
        List<String> actions = new ArrayList<>(decision.getActionIds());
        actions.addAll(step.getActionIds());
        merged.setActionIds(actions);
        List<String> ops = new ArrayList<>(decision.getRegisterOps());
        ops.addAll(step.getRegisterOps());
        merged.setRegisterOps(ops);
        Map<String, String> read = new TreeMap<>(step.getRegistersRead());
        read.putAll(decision.getRegistersRead());
        merged.setRegistersRead(read);
        return merged;
    }
}
