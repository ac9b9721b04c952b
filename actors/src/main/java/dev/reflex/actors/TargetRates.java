package dev.reflex.actors;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

import dev.reflex.schemas.Rate;

/**
 * A rate per target ({@code limits.target.rate} of the system's catalog entry): at most {@code count} actions of one
 * target started in any window of {@code windowMs}. An action over it waits, in order. Starts are remembered per
 * target, those of this process as they happen and the others' from the results read back (start = finish - duration),
 * so the limit holds across restarts and moves of the target's partition. Not thread-safe: the actor's polling thread
 * owns it.
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
