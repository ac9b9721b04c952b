package dev.reflex.engine;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import dev.reflex.topology.ProcessingListener;

/**
 * When to pause the timeline so that a burst of due timers fires first. The timeline runs in the engine's process and
 * records each firing's decision at several times the CPU the firing itself takes, so on a machine with few cores the
 * two compete just when actions are due (bench/run-correlation --deadlines, 100,000 deadlines due within seconds: p99
 * 406 ms late without the pause, 244 to 544 ms with it; 976 ms and 423 to 1,238 ms at Kafka Streams' poll.ms). What the
 * timeline shows can wait a few seconds; the actions cannot.
 *
 * <p>A keyed task's tick that fires {@link #BURST_PER_TICK} timers or more is a burst ({@link #timersFired}, on the
 * engine's stream threads). The timeline is paused from the first burst until {@link #HOLD} after the last, out of a
 * budget: {@code maxPauseMs} to start with and at most, spent while paused, earned back at half the rate while running,
 * and needed at {@link #HOLD} at least (or all of it, when smaller) to pause. So a flood of deadlines pauses the
 * timeline for {@code maxPauseMs} at most in a row and a third of the time at most over a longer run: it slows the
 * timeline, never stops it. Pausing loses nothing (Kafka Streams' pause: the timeline keeps its partitions and reads on
 * where it stopped). Decided by one thread, every {@link #ROUND}, from {@link #pausedAt}.
 */
final class TimelineYield implements ProcessingListener {
    /** Timers fired in one tick of one task (every 100 ms) that make a burst: 2,000 a second on one partition. */
    static final int BURST_PER_TICK = 200;
    /** How long after the last burst the timeline stays paused: the bursts of one flood come seconds apart. */
    static final Duration HOLD = Duration.ofSeconds(2);
    /** How often the pause is decided. */
    static final Duration ROUND = Duration.ofMillis(100);

    private final long maxPauseMs;
    private final AtomicLong lastBurst = new AtomicLong(Long.MIN_VALUE);
    private boolean paused;
    private long budget;
    private long last = Long.MIN_VALUE;

    /** @param maxPauseMs how long the timeline is paused at most in a row; 0 never pauses it */
    TimelineYield(long maxPauseMs) {
        this.maxPauseMs = maxPauseMs;
        this.budget = maxPauseMs;
    }

    /** Whether the timeline may be paused at all (a longest pause was given). */
    boolean enabled() {
        return maxPauseMs > 0;
    }

    @Override
    public void timersFired(int count, long now) {
        if (count >= BURST_PER_TICK) {
            lastBurst.accumulateAndGet(now, Math::max);
        }
    }

    /** Whether the timeline is to be paused at {@code now}; called by one thread, with a clock that does not go back. */
    boolean pausedAt(long now) {
        long elapsed = last == Long.MIN_VALUE ? 0 : now - last;
        last = now;
        budget = paused ? budget - elapsed : Math.min(maxPauseMs, budget + elapsed / 2);
        long lastBurstAt = lastBurst.get();
        boolean burst = lastBurstAt != Long.MIN_VALUE && now - lastBurstAt < HOLD.toMillis();
        if (paused) {
            paused = burst && budget > 0;
        } else {
            paused = burst && maxPauseMs > 0 && budget >= Math.min(HOLD.toMillis(), maxPauseMs);
        }
        return paused;
    }

    /** How long the timeline may still be paused in a row, in ms. */
    long budget() {
        return budget;
    }
}
