package dev.reflex.actors;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.TreeMap;

import dev.reflex.schemas.Rate;

/**
 * One member's share of a system-wide rate ({@link SystemShares}): within any window, its own starts since its share
 * began plus every start of the system before that stay below its share. The members' shares add up to the rate and
 * each counts all the earlier starts, so together they never start more than the rate in any window, across
 * rebalances and restarts (earlier starts are read back from the results: start = finish - duration). Not thread-safe:
 * the actor's polling thread owns it.
 */
final class SystemRate {
    /** Starts before the current share began, this member's and the others', by time (several may share a ms). */
    private final TreeMap<Long, Integer> before = new TreeMap<>();

    private int beforeCount;
    private final Deque<Long> own = new ArrayDeque<>();
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
        }
    }

    /** A new share begins at {@code now}: this member's starts so far count as earlier ones. */
    void began(long now) {
        own.forEach(this::earlier);
        own.clear();
        began = now;
    }

    /** A start another member reported; one after this share began is that member's to count. */
    void learned(long start) {
        if (rate != null && start < began) {
            earlier(start);
            prune(start - rate.getWindowMs());
        }
    }

    private void earlier(long start) {
        before.merge(start, 1, Integer::sum);
        beforeCount++;
    }

    /** Whether this member may start an action at {@code now} within {@code share}. */
    boolean mayStart(long now, SystemShares.Share share) {
        if (!share.hasRate()) {
            return true;
        }
        prune(now - share.rateWindowMs());
        return own.size() + beforeCount < share.rateCount();
    }

    /** This member started an action at {@code now} within {@code share}. */
    void started(long now, SystemShares.Share share) {
        if (rate != null || share.hasRate()) {
            own.addLast(now);
        }
    }

    /** Forgets the starts at or before {@code from}. */
    private void prune(long from) {
        while (!before.isEmpty() && before.firstKey() <= from) {
            beforeCount -= before.pollFirstEntry().getValue();
        }
        while (!own.isEmpty() && own.peekFirst() <= from) {
            own.pollFirst();
        }
    }
}
