package dev.reflex.audit.replay;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import dev.reflex.audit.history.RuleHistory;
import dev.reflex.rules.CompiledRule;
import dev.reflex.rules.IndexedRule;
import dev.reflex.rules.flow.CompiledFlow;
import dev.reflex.rules.flow.FlowRunner;
import dev.reflex.schemas.Action;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.FlowStep;
import dev.reflex.schemas.RuleOutcome;

/**
 * Re-runs a recorded flow input (a decision with detail FLOW) from the instance it recorded seeing, with the flow
 * versions of the rule history, the input it recorded, at its decision time, with the register values it recorded, and
 * checks that it gives the recorded transitions and action ids.
 */
public final class FlowReplay {
    private final RuleHistory history;

    public FlowReplay(RuleHistory history) {
        this.history = history;
    }

    public DecisionReplay.Check check(Decision decision) {
        RuleOutcome recorded = decision.getRules().get(0);
        FlowStep step = recorded.getFlow();
        if (step == null || recorded.getRuleVersion().isEmpty()) {
            return new DecisionReplay.Check(
                    DecisionReplay.Status.UNVERIFIABLE,
                    List.of(),
                    "a flow input recorded without its step (the flow was removed before it)");
        }
        String flowId = recorded.getRuleId();
        CompiledFlow current = flow(flowId, recorded.getRuleVersion());
        if (current == null) {
            return new DecisionReplay.Check(
                    DecisionReplay.Status.UNVERIFIABLE,
                    List.of(),
                    "flow " + flowId + " version " + recorded.getRuleVersion() + " is not in the rule history");
        }
        Set<String> unrecorded = new HashSet<>();
        FlowRunner.Result replayed = FlowRunner.apply(
                current,
                version -> flow(flowId, version),
                step.getSeen(),
                step.getKey(),
                new FlowRunner.Input(step.getRole(), step.getInput(), step.getReason()),
                DecisionReplay.recordedRegisters(decision, unrecorded),
                decision.getDecidedAt().toEpochMilli(),
                step.getRunning(),
                decision.getEventId());
        List<String> differences = new ArrayList<>();
        if (!replayed.words().equals(step.getTransitions())) {
            differences.add("flow " + flowId + " key " + step.getKey() + ": recorded " + step.getTransitions()
                    + ", replayed " + replayed.words());
        }
        List<String> actions = replayed.actions().stream().map(Action::getId).toList();
        if (!actions.equals(decision.getActionIds())) {
            differences.add("actions: recorded " + decision.getActionIds() + ", replayed " + actions);
        }
        for (String name : unrecorded) {
            differences.add("the replay read register '" + name + "', which the decision does not record");
        }
        return differences.isEmpty()
                ? DecisionReplay.Check.REPRODUCED
                : new DecisionReplay.Check(DecisionReplay.Status.DIFFERENT, differences, null);
    }

    private CompiledFlow flow(String flowId, String version) {
        Optional<IndexedRule> rule = history.compiled(flowId, version);
        return rule.isPresent() && rule.get() instanceof CompiledRule c ? c.flow() : null;
    }
}
