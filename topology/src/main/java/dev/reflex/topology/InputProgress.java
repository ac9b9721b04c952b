package dev.reflex.topology;

/**
 * How far the engine's input has been read, which deadlines wait for. A deadline due at T fires by the wall clock, but
 * only once every record that reached Kafka before T, on any topic the engine reads, has been applied by the task that
 * keeps the deadline: an event that came in time is never beaten by the deadline it answers, after a crash, during a
 * rebalance or while the engine lags. The engine knows this from its consumer group's committed offsets
 * ({@code dev.reflex.engine.InputBarriers}); docs/rules.md, "Deadlines and late input", says how.
 */
@FunctionalInterface
public interface InputProgress {
    /**
     * Everything is read at every moment: true of a driver that processes each record to the end, through every
     * sub-topology, before it takes the next (TopologyTestDriver).
     */
    InputProgress SYNCHRONOUS = partition -> Long.MAX_VALUE;

    /**
     * A wall-clock time T (epoch milliseconds) such that every record that reached the engine's input topics before T
     * has been applied by the correlate task of {@code partition} (a partition of reflex.correlate); {@link Long#MIN_VALUE}
     * while that is not known.
     */
    long readUpTo(int partition);
}
