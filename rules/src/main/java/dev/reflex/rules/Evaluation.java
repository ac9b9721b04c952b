package dev.reflex.rules;

import java.time.Instant;
import java.util.List;
import java.util.Map;

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
 * What evaluating one event produced: an outcome per rule considered, the actions and register operations, rules that
 * ran too long, and what is handed to correlation (one input per correlation rule and part of it the event matched).
 */
public record Evaluation(
        List<RuleOutcome> outcomes,
        List<Action> actions,
        List<RegisterOp> registerOps,
        List<SlowRule> slowRules,
        Map<String, String> registersRead,
        long micros,
        List<CorrelationInput> correlations) {

    /** What a correlation firing rendered, or the error (field: reason) that stopped it. */
    public record Rendering(List<Action> actions, List<RegisterOp> registerOps, String error) {}

    /** A rule whose evaluation took longer than the budget; the caller quarantines it. */
    public record SlowRule(Rule rule, long micros) {}

    /** Whether any rule matched (or handed the event to correlation). */
    public boolean matchedAny() {
        return outcomes.stream()
                .anyMatch(o -> o.getOutcome() == Outcome.MATCHED || o.getOutcome() == Outcome.CORRELATING);
    }

    public Decision toDecision(Event event, String engineInstance, Instant decidedAt) {
        return Decision.newBuilder()
                .setRegistersRead(registersRead)
                .setRulesConsidered(outcomes.size())
                .setEvaluationMicros(micros)
                .setEventId(event.getId())
                .setEventSource(event.getSource())
                .setEventType(event.getType())
                .setSubject(event.getSubject())
                .setDecidedAt(decidedAt)
                .setEngineInstance(engineInstance)
                .setRules(outcomes)
                .setActionIds(actions.stream().map(Action::getId).toList())
                .setRegisterOps(registerOps.stream()
                        .map(op -> op.getOp().name().toLowerCase() + ":" + op.getName())
                        .toList())
                // set, not left to the builder, which deep-copies the schema's default for each field left unset
                .setDetail(DecisionDetail.FULL)
                .build();
    }
}
