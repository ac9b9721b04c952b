package dev.reflex.actors;

import dev.reflex.schemas.Action;

/**
 * Does the work an action asks for. Called from up to {@link #concurrency()} threads at once (never for two actions of
 * one target at once); must not throw for a failed action.
 */
public interface Executor {
    Execution execute(Action action);

    /** How many actions an actor runs at once with this executor unless told otherwise ({@code actor.concurrency}). */
    default int concurrency() {
        return 1;
    }
}
