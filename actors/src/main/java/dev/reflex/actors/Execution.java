package dev.reflex.actors;

import dev.reflex.schemas.ActionStatus;

/** What executing one action came to. */
public record Execution(
        ActionStatus status, int attempts, Integer httpStatus, Integer exitCode, String output, String error) {

    public static Execution succeeded(int attempts, Integer httpStatus, Integer exitCode, String output) {
        return new Execution(ActionStatus.SUCCEEDED, attempts, httpStatus, exitCode, output, null);
    }

    public static Execution failed(int attempts, Integer httpStatus, Integer exitCode, String output, String error) {
        return new Execution(ActionStatus.FAILED, attempts, httpStatus, exitCode, output, error);
    }
}
