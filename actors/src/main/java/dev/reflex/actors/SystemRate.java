package dev.reflex.actors;

import java.util.TreeMap;

import dev.reflex.schemas.Rate;

/**
 * One member's share of a system-wide rate ({@link SystemShares}): within any window, its own actions since its share
 * began plus every action of the system before that stay below its share. An action counts while it runs, and from its
 * finish once it finished (a call reaches the system some time after its start, later on a busy machine; by its finish
 * the system has seen it). The members' shares add up to the rate and each counts all the earlier actions, so together
 * they never put more than the rate into any window the system sees, across rebalances and restarts (earlier actions
 * are read back from the results, at their finish). Not thread-safe: the actor's polling thread owns it.
 */
final class SystemRate {
    /** Starts before the current share began, this member's and the others', by time (several may share a ms). */
    private final TreeMap<Long, Integer> before = new TreeMap<>();

    private int beforeCount;
    /** This member's finished actions since its share began, by finish time. */
    private final TreeMap<Long, Integer> own = new TreeMap<>();

    private int ownCount;
    /** This member's running actions, by the time their start was counted. */
    private final TreeMap<Long, Integer> running = new TreeMap<>();

    private int runningCount;
    /** When the current share began; until the first one, every start learned is an earlier one. */
    private long began = Long.MAX_VALUE;
    /** The catalog's system-wide rate (null: none): starts are remembered only while one is declared. */
    private Rate rate;

    /** The catalog's system-wide rate now; a rate declared later counts the starts from when it applies. */
    void rate(Rate next) {
        rate = next;
        if (next == null) {
            before.clear();
            beforeCount = 0;
            own.clear();
            ownCount = 0;
        }
    }

    /**
     * A new share begins at {@code now}: this member's actions so far count as earlier ones (one still running, past
     * the wait a revocation allows, as if it had finished now).
     */
    void began(long now) {
        own.forEach((at, n) -> earlier(at, n));
        own.clear();
        ownCount = 0;
        running.forEach((at, n) -> earlier(now, n));
        running.clear();
        runningCount = 0;
        began = now;
    }

    /** An action another member reported, by its finish; one after this share began is that member's to count. */
    void learned(long finished) {
        if (rate != null && finished < began) {
            earlier(finished, 1);
            prune(finished - rate.getWindowMs());
        }
    }

    private void earlier(long at, int n) {
        before.merge(at, n, Integer::sum);
        beforeCount += n;
    }

    /** Whether this member may start an action at {@code now} within {@code share}. */
    boolean mayStart(long now, SystemShares.Share share) {
        if (!share.hasRate()) {
            return true;
        }
        prune(now - share.rateWindowMs());
        return runningCount + ownCount + beforeCount < share.rateCount();
    }

    /** This member started an action at {@code now} within {@code share}. */
    void started(long now, SystemShares.Share share) {
        if (rate != null || share.hasRate()) {
            running.merge(now, 1, Integer::sum);
            runningCount++;
        }
    }

    /** This member's action whose start was counted at {@code startedAt} finished at {@code finishedAt}. */
    void finished(long startedAt, long finishedAt) {
        Integer n = running.get(startedAt);
        if (n == null) {
            return; // not counted (no rate then), or counted as an earlier one when a new share began
        }
        if (n == 1) {
            running.remove(startedAt);
        } else {
            running.put(startedAt, n - 1);
        }
        runningCount--;
        own.merge(finishedAt, 1, Integer::sum);
        ownCount++;
    }

    /** Forgets the finished actions at or before {@code from}; running ones count until they finish. */
    private void prune(long from) {
        while (!before.isEmpty() && before.firstKey() <= from) {
            beforeCount -= before.pollFirstEntry().getValue();
        }
        while (!own.isEmpty() && own.firstKey() <= from) {
            ownCount -= own.pollFirstEntry().getValue();
        }
    }
}
