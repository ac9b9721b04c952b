package dev.reflex.actors;

import dev.reflex.schemas.Action;

/** Does the work an action asks for. Called by one thread at a time; must not throw for a failed action. */
public interface Executor {
    Execution execute(Action action);
}
