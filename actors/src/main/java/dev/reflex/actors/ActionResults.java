package dev.reflex.actors;

import java.time.Instant;

import dev.reflex.schemas.Action;
import dev.reflex.schemas.ActionResult;

/** The result record of one executed action. */
final class ActionResults {
    private ActionResults() {}

    static ActionResult of(Action action, Execution execution, long durationMs) {
        return ActionResult.newBuilder()
                .setActionId(action.getId())
                .setSystem(action.getSystem())
                .setAction(action.getAction())
                .setTarget(action.getTarget())
                .setStatus(execution.status())
                .setAttempts(execution.attempts())
                .setDurationMs(durationMs)
                .setHttpStatus(execution.httpStatus())
                .setExitCode(execution.exitCode())
                .setOutput(execution.output())
                .setError(execution.error())
                .setEventId(action.getEventId())
                .setRuleId(action.getRuleId())
                .setCorrelationid(action.getCorrelationid())
                .setFinishedAt(Instant.now())
                .build();
    }
}
