package dev.reflex.topology;

import dev.reflex.schemas.DeadLetter;

/**
 * Where the global stores' loaders send the records of {@code reflex.rules} and {@code reflex.registers} they cannot
 * read. The global thread has no producer of its own and cannot forward to a sink, so the engine hands it one.
 */
@FunctionalInterface
public interface GlobalDeadLetters {
    void send(DeadLetter letter);
}
