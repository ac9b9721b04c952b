package dev.reflex.actors;

import dev.reflex.schemas.ActionResult;
import dev.reflex.schemas.ActionStatus;
import dev.reflex.schemas.SystemLimits;

/**
 * Whether a waiting action of one target may start now, by everything that limits it besides the queue: the target's
 * circuit ({@link Breakers}), the catalog's rate per target ({@link TargetRates}), and this process's share of the
 * system-wide concurrency and rate ({@link SystemShares}, {@link SystemRate}); and, in words, what holds a target. Not
 * thread-safe: the actor's polling thread owns it (the share is set by the consumer's assignor on the same thread).
 */
final class ActorLimits {
    private final String system;
    private final int concurrency;
    private final Breakers breakers;
    private final TargetRates rates = new TargetRates(null);
    private final SystemShares.State shares = new SystemShares.State();
    private final SystemRate systemRate = new SystemRate();

    /**
     * @param concurrency the actor's own most actions at once ({@code actor.concurrency})
     * @param breakers    the targets' circuits, which the actor also feeds with its own results
     */
    ActorLimits(String system, int concurrency, Breakers breakers) {
        this.system = system;
        this.concurrency = concurrency;
        this.breakers = breakers;
    }

    /** What the consumer's assignor shares this process's part of the system-wide limits through. */
    SystemShares.State shares() {
        return shares;
    }

    /** This process's share of the system-wide limits now. */
    SystemShares.Share share() {
        return shares.share();
    }

    /** How many actions may run at once now: the actor's own limit, or its share of the system's if lower. */
    int concurrency() {
        return Math.min(concurrency, shares.share().concurrency());
    }

    /** Whether {@code target} may start its next action at {@code now}; if so, the start is counted. */
    boolean tryStart(String target, long now) {
        SystemShares.Share share = shares.share();
        if (breakers.mayStart(target, now) && rates.mayStart(target, now) && systemRate.mayStart(now, share)) {
            systemRate.started(now, share);
            rates.started(target, now);
            return true;
        }
        return false;
    }

    /** An action of {@code target} whose start was counted at {@code countedAt} finished at {@code now}. */
    void finished(String target, long countedAt, long now) {
        rates.finished(target, countedAt, now);
        systemRate.finished(countedAt, now);
    }

    /** Whether {@code target} waits for its rate now. */
    boolean rateLimited(String target, long now) {
        return !rates.mayStart(target, now);
    }

    /**
     * What holds {@code target}'s actions at {@code now} with {@code running} actions running, in words: its open
     * circuit, its rate, or a system-wide limit; null when only the queue does (its previous action, the actor's own
     * places).
     */
    String holds(String target, long now, int running) {
        if (!breakers.mayStart(target, now)) {
            return breakers.reason(target);
        }
        if (!rates.mayStart(target, now)) {
            return "rate " + WaitNotices.words(rates.rate()) + " of target " + target;
        }
        SystemShares.Share share = shares.share();
        SystemLimits limits = shares.limits();
        if (limits == null) {
            return null;
        }
        if (limits.getSystemRate() != null && !systemRate.mayStart(now, share)) {
            return "rate " + WaitNotices.words(limits.getSystemRate()) + " of system " + system
                    + " (this actor's share: " + share.rateCount() + ")";
        }
        if (limits.getSystemConcurrency() != null
                && share.concurrency() < concurrency
                && running >= share.concurrency()) {
            return "concurrency " + limits.getSystemConcurrency() + " of system " + system + " (this actor's share: "
                    + share.concurrency() + ")";
        }
        return null;
    }

    /** The catalog's limits for the system, as they change (null: none). */
    void catalog(SystemLimits limits) {
        rates.rate(limits == null ? null : limits.getTargetRate());
        systemRate.rate(limits == null ? null : limits.getSystemRate());
        shares.limits(limits);
    }

    /** A new share began at {@code now} (partitions were assigned). */
    void shareBegan(long now) {
        systemRate.began(now);
    }

    /**
     * A result another owner reported: the circuit and the rates count the actions that ran, from their finish (as
     * {@link TargetRates#finished} and {@link SystemRate#finished} do).
     */
    void learned(ActionResult result) {
        if (result.getAttempts() > 0) {
            long finished = result.getFinishedAt().toEpochMilli();
            rates.started(result.getTarget(), finished);
            systemRate.learned(finished);
            breakers.record(
                    result.getTarget(),
                    result.getStatus() == ActionStatus.FAILED,
                    result.getFinishedAt().toEpochMilli());
        }
    }
}
