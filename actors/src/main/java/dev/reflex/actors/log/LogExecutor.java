package dev.reflex.actors.log;

import java.io.PrintStream;

import dev.reflex.actors.Execution;
import dev.reflex.actors.Executor;
import dev.reflex.schemas.Action;

/** Prints each action as one line and reports it done: for trying rules out, or for systems that only need a record. */
public final class LogExecutor implements Executor {
    private final PrintStream out;

    public LogExecutor(PrintStream out) {
        this.out = out;
    }

    @Override
    public Execution execute(Action action) {
        String line = LogActor.format(action);
        out.println(line);
        return Execution.succeeded(1, null, null, line);
    }
}
