package dev.reflex.actors;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * An actor's meters, tagged with its system: actions by status ({@code reflex.actor.actions}), the time each took
 * ({@code reflex.actor.execution}), how many run and wait now ({@code reflex.actor.running},
 * {@code reflex.actor.waiting}: for their target, its circuit, its rate, or a free place under
 * {@code actor.concurrency}; {@code reflex.actor.waiting.oldest}), how many targets' circuits are open
 * ({@code reflex.actor.circuits.open}) and how many targets wait for their rate ({@code reflex.actor.rate.limited}).
 */
final class ActorMeters {
    private final MeterRegistry registry;
    private final String system;
    private final Timer execution;
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicInteger waiting = new AtomicInteger();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger rateLimited = new AtomicInteger();
    private final AtomicLong oldestWaitingMs = new AtomicLong();

    ActorMeters(MeterRegistry registry, String system) {
        this.registry = registry;
        this.system = system;
        this.execution = Timer.builder("reflex.actor.execution")
                .tag("system", system)
                .description("Time to do one action, retries included")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofMinutes(10))
                .register(registry);
        Gauge.builder("reflex.actor.running", running, AtomicInteger::get)
                .tag("system", system)
                .description("Actions running now")
                .register(registry);
        Gauge.builder("reflex.actor.waiting", waiting, AtomicInteger::get)
                .tag("system", system)
                .description(
                        "Actions read and waiting to run: for their target's action before them, its circuit, or a "
                                + "free place")
                .register(registry);
        Gauge.builder("reflex.actor.circuits.open", open, AtomicInteger::get)
                .tag("system", system)
                .description("Targets whose circuit breaker holds their actions now")
                .register(registry);
        Gauge.builder("reflex.actor.rate.limited", rateLimited, AtomicInteger::get)
                .tag("system", system)
                .description("Targets with actions waiting because the catalog's limits.target.rate is reached")
                .register(registry);
        Gauge.builder("reflex.actor.waiting.oldest", oldestWaitingMs, a -> a.get() / 1000.0)
                .tag("system", system)
                .baseUnit("seconds")
                .description("How long the action waiting longest has waited to run")
                .register(registry);
    }

    void counted(String status) {
        registry.counter("reflex.actor.actions", "system", system, "status", status)
                .increment();
    }

    void executed(String status, long nanos) {
        counted(status);
        execution.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** Sets the gauges from the polling thread. */
    void queue(int runningNow, int waitingNow, long openNow, long rateLimitedNow, long oldestWaitingMsNow) {
        running.set(runningNow);
        waiting.set(waitingNow);
        open.set((int) openNow);
        rateLimited.set((int) rateLimitedNow);
        oldestWaitingMs.set(oldestWaitingMsNow);
    }
}
