package dev.reflex.actors;

import java.time.Duration;

/**
 * How an actor runs its actions: how many at once, and its circuit breaker per target (after {@code breakerFailures}
 * consecutive failures of one target, its actions are held for {@code breakerCooldown}, then one probes; 0 failures
 * turns it off; held actions fail without running once the circuit has been open for {@code breakerHeldMax}, or wait
 * while it is zero).
 */
public record ActorOptions(int concurrency, int breakerFailures, Duration breakerCooldown, Duration breakerHeldMax) {
    public ActorOptions {
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be at least 1, got " + concurrency);
        }
    }

    /** The defaults for {@code executor}: its own concurrency; a breaker after 5 failures, 30 s cool-down, held actions wait. */
    public static ActorOptions defaults(Executor executor) {
        return new ActorOptions(executor.concurrency(), 5, Duration.ofSeconds(30), Duration.ZERO);
    }

    public ActorOptions withConcurrency(int n) {
        return new ActorOptions(n, breakerFailures, breakerCooldown, breakerHeldMax);
    }

    Breakers.Settings breaker() {
        return new Breakers.Settings(breakerFailures, breakerCooldown.toMillis(), breakerHeldMax.toMillis());
    }
}
