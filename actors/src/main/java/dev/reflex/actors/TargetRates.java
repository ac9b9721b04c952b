package dev.reflex.actors;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

import dev.reflex.schemas.Rate;

/**
 * A rate per target ({@code limits.target.rate} of the system's catalog entry): at most {@code count} actions of one
 * target in any window of {@code windowMs}, as the target sees them. An action over it waits, in order. An action counts
 * from its start while it runs and from its finish once it has finished: a call reaches the target some time after the
 * actor started it (later still when the machine is busy), and by its finish the target has surely seen it, so the
 * next action past the limit starts a window after that and the target never counts more than the limit in a window.
 * Actions are remembered per target, those of this process as they happen and the others' from the results read back
 * (at their finish), so the limit holds across restarts and moves of the target's partition. Not thread-safe: the
 * actor's polling thread owns it.
 */
final class TargetRates {
    private volatile Rate rate;
    private final Map<String, Deque<Long>> starts = new HashMap<>();

    TargetRates(Rate rate) {
        this.rate = rate;
    }

    /** The rate now (null: none); a changed catalog entry applies at once. */
    void rate(Rate next) {
        this.rate = next;
    }

    Rate rate() {
        return rate;
    }

    /** Whether {@code target} may start an action at {@code now}. */
    boolean mayStart(String target, long now) {
        Rate r = rate;
        if (r == null || target == null) {
            return true;
        }
        Deque<Long> recent = starts.get(target);
        if (recent == null) {
            return true;
        }
        while (!recent.isEmpty() && recent.peekFirst() <= now - r.getWindowMs()) {
            recent.pollFirst();
        }
        return recent.size() < r.getCount();
    }

    /**
     * An action of {@code target} whose start was counted at {@code startedAt} finished at {@code finishedAt}: it counts
     * from its finish from now on.
     */
    void finished(String target, long startedAt, long finishedAt) {
        Rate r = rate;
        if (r == null || target == null) {
            return;
        }
        Deque<Long> recent = starts.get(target);
        if (recent != null) {
            recent.removeFirstOccurrence(startedAt);
        }
        started(target, finishedAt);
    }

    /** An action of {@code target} started at {@code at} (remembered only while a rate is declared). */
    void started(String target, long at) {
        Rate r = rate;
        if (r == null || target == null) {
            return;
        }
        Deque<Long> recent = starts.computeIfAbsent(target, t -> new ArrayDeque<>());
        if (recent.isEmpty() || recent.peekLast() <= at) {
            recent.addLast(at);
        } else {
            // read back out of order: keep the window sorted
            Deque<Long> later = new ArrayDeque<>();
            while (!recent.isEmpty() && recent.peekLast() > at) {
                later.addFirst(recent.pollLast());
            }
            recent.addLast(at);
            recent.addAll(later);
        }
        long newest = recent.peekLast();
        while (recent.peekFirst() <= newest - r.getWindowMs()) {
            recent.pollFirst();
        }
    }
}
