package dev.reflex.audit.replay;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import dev.reflex.audit.history.RuleHistory;
import dev.reflex.rules.CompiledRule;
import dev.reflex.rules.IndexedRule;
import dev.reflex.rules.correlate.Correlator;
import dev.reflex.schemas.ActionIds;
import dev.reflex.schemas.CorrelationOutcome;
import dev.reflex.schemas.CorrelationRole;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.Outcome;
import dev.reflex.schemas.RuleOutcome;

/**
 * Re-runs a recorded correlation step (a decision with detail CORRELATION) from the state it recorded seeing, with the
 * rule version it used, at its decision time, and checks that it gives the recorded outcome, firing id and actions.
 * Pure: the step needs the state, the event's id and time, and the rule; not the event's content.
 */
public final class CorrelationReplay {
    private final RuleHistory history;

    public CorrelationReplay(RuleHistory history) {
        this.history = history;
    }

    public DecisionReplay.Check check(Decision decision) {
        List<String> differences = new ArrayList<>();
        for (RuleOutcome recorded : decision.getRules()) {
            CorrelationOutcome step = recorded.getCorrelation();
            if (step == null) {
                continue; // the rule was removed, disabled or quarantined before its step: nothing was correlated
            }
            Optional<IndexedRule> rule = history.compiled(recorded.getRuleId(), recorded.getRuleVersion());
            if (rule.isEmpty() || !(rule.get() instanceof CompiledRule compiled) || compiled.correlation() == null) {
                return new DecisionReplay.Check(
                        DecisionReplay.Status.UNVERIFIABLE,
                        List.of(),
                        "rule " + recorded.getRuleId() + " version " + recorded.getRuleVersion()
                                + " is not in the rule history as a correlation rule");
            }
            long now = decision.getDecidedAt().toEpochMilli();
            Correlator.Step replayed;
            if (step.getRole() == CorrelationRole.DEADLINE) {
                replayed = Correlator.onDeadline(compiled, step.getSeen(), step.getKey(), now);
            } else {
                Event event = Event.newBuilder()
                        .setId(step.getBy())
                        .setSource(decision.getEventSource())
                        .setType(decision.getEventType())
                        .setSubject(decision.getSubject())
                        .setTime(Instant.ofEpochMilli(step.getEventTime()))
                        .build();
                replayed = Correlator.onEvent(
                        compiled, step.getSeen(), step.getRole(), step.getKey(), event, step.getEventTime(), now);
            }
            if (replayed == null) {
                differences.add("rule " + recorded.getRuleId()
                        + ": recorded a deadline firing, but the recorded state holds no deadline due");
                continue;
            }
            Outcome expected = recorded.getOutcome();
            // an error rendering a firing, or a rule disabled at its deadline: the step itself fired
            boolean firedThen = expected == Outcome.ERROR || expected == Outcome.DISABLED;
            if (firedThen
                    ? replayed.outcome() != Outcome.FIRED && replayed.outcome() != Outcome.THROTTLED
                    : replayed.outcome() != expected) {
                differences.add("rule " + recorded.getRuleId() + ": recorded " + expected + ", replayed "
                        + replayed.outcome() + " (" + replayed.detail() + ")");
                continue;
            }
            if (!Objects.equals(step.getFiringId(), replayed.record().getFiringId())) {
                differences.add("rule " + recorded.getRuleId() + ": recorded firing " + step.getFiringId()
                        + ", replayed " + replayed.record().getFiringId());
            }
            if (expected == Outcome.FIRED) {
                List<String> ids = new ArrayList<>();
                for (int i = 0; i < compiled.rule().getActions().size(); i++) {
                    ids.add(ActionIds.of(replayed.firing().id(), compiled.id(), compiled.version(), i));
                }
                if (!ids.equals(decision.getActionIds())) {
                    differences.add("actions: recorded " + decision.getActionIds() + ", replayed " + ids);
                }
            }
        }
        return differences.isEmpty()
                ? DecisionReplay.Check.REPRODUCED
                : new DecisionReplay.Check(DecisionReplay.Status.DIFFERENT, differences, null);
    }
}
