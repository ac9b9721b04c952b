package dev.reflex.engine;

/**
 * The wait before a failed stream thread is replaced: the first failure after a quiet period waits {@code initialMs},
 * each failure that follows within {@code quietMs} of the previous one doubles the wait, up to {@code maxMs}.
 */
final class ReplaceBackoff {
    private final long initialMs;
    private final long maxMs;
    private final long quietMs;
    private long lastFailure = Long.MIN_VALUE;
    private long current;

    ReplaceBackoff(long initialMs, long maxMs, long quietMs) {
        this.initialMs = initialMs;
        this.maxMs = maxMs;
        this.quietMs = quietMs;
    }

    synchronized long next(long nowMs) {
        boolean repeated = lastFailure != Long.MIN_VALUE && nowMs - lastFailure <= quietMs + current;
        current = repeated ? Math.min(maxMs, current * 2) : initialMs;
        lastFailure = nowMs;
        return current;
    }
}
