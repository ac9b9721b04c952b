package dev.reflex.actors;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

import org.apache.kafka.common.TopicPartition;

/**
 * The records an actor has read and not yet committed, and which of their actions may run now. Up to
 * {@code concurrency} actions run at once, never two of one target, and a target's actions in the order they were read
 * (the engine's order: one target's actions share a key, hence a partition); a target may also be held (its circuit
 * open). A done record's outcome is reported at once ({@link #takeOutcomes}), but a partition's offset only moves past
 * its <em>reported prefix</em> ({@link #takeCommittable}): after a kill, the next owner reads again every record from
 * the first one not reported, runs again the ones without a result, and skips the ones with. Not thread-safe: the
 * actor's polling thread owns it.
 *
 * @param <R> what a done record reports (a result, a dead letter, nothing)
 */
final class ActionQueue<R> {
    /** One record read: an action to run, or a record already done (unreadable, or an action done before). */
    static final class Slot<R> {
        final TopicPartition partition;
        final long offset;
        /** The target whose actions run one at a time; null for a record that runs nothing. */
        final String target;

        /** When it was read (wall clock, ms). */
        final long readAt = System.currentTimeMillis();

        private boolean started;
        private boolean done;
        private boolean reported;
        private boolean forgotten;
        private R outcome;

        Slot(TopicPartition partition, long offset, String target) {
            this.partition = partition;
            this.offset = offset;
            this.target = target;
        }

        R outcome() {
            return outcome;
        }

        /** Drops the outcome once it is written (a reported record may wait long behind an unreported one). */
        void release() {
            outcome = null;
        }

        boolean started() {
            return started;
        }
    }

    private final int concurrency;
    private final Map<TopicPartition, Deque<Slot<R>>> byPartition = new LinkedHashMap<>();
    private final Map<String, Deque<Slot<R>>> waitingByTarget = new LinkedHashMap<>();
    private final Set<String> busyTargets = new HashSet<>();
    private int running;
    private int size;
    private final Map<TopicPartition, Integer> unreported = new HashMap<>();
    /** Records done since outcomes were last taken: taking them looks at these only, not at every record held. */
    private final List<Slot<R>> newlyDone = new ArrayList<>();

    ActionQueue(int concurrency) {
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be at least 1, got " + concurrency);
        }
        this.concurrency = concurrency;
    }

    /** A record with nothing to run, done at once with {@code outcome}. */
    void addDone(TopicPartition partition, long offset, R outcome) {
        Slot<R> slot = new Slot<>(partition, offset, null);
        append(slot);
        done(slot, outcome);
    }

    /** An action for {@code target} (null: one with no target, which waits for no other). */
    Slot<R> addAction(TopicPartition partition, long offset, String target) {
        Slot<R> slot = new Slot<>(partition, offset, target == null ? "\u0000" + partition + "@" + offset : target);
        append(slot);
        waitingByTarget.computeIfAbsent(slot.target, t -> new ArrayDeque<>()).add(slot);
        return slot;
    }

    private void append(Slot<R> slot) {
        byPartition.computeIfAbsent(slot.partition, p -> new ArrayDeque<>()).add(slot);
        unreported.merge(slot.partition, 1, Integer::sum);
        size++;
    }

    /** The actions that may start now (marked started): the first waiting action of each idle target, up to the limit. */
    List<Slot<R>> startable() {
        return startable(target -> true);
    }

    /** As {@link #startable()}, for the targets {@code mayStart} lets run now only (the others' actions wait). */
    List<Slot<R>> startable(Predicate<String> mayStart) {
        return startable(concurrency, mayStart);
    }

    /**
     * As {@link #startable(Predicate)}, with at most {@code limit} running (when below this queue's concurrency). A
     * target {@code mayStart} says yes to starts its first waiting action.
     */
    List<Slot<R>> startable(int limit, Predicate<String> mayStart) {
        int most = Math.min(limit, concurrency);
        List<Slot<R>> start = new ArrayList<>();
        Iterator<Map.Entry<String, Deque<Slot<R>>>> targets =
                waitingByTarget.entrySet().iterator();
        while (running < most && targets.hasNext()) {
            Map.Entry<String, Deque<Slot<R>>> target = targets.next();
            if (busyTargets.contains(target.getKey()) || !mayStart.test(target.getKey())) {
                continue;
            }
            Slot<R> next = target.getValue().poll();
            if (target.getValue().isEmpty()) {
                targets.remove();
            }
            next.started = true;
            busyTargets.add(next.target);
            running++;
            start.add(next);
        }
        return start;
    }

    /** The actions of {@code target} waiting to start, oldest first. */
    List<Slot<R>> waitingFor(String target) {
        Deque<Slot<R>> waiting = waitingByTarget.get(target);
        return waiting == null ? List.of() : List.copyOf(waiting);
    }

    /** The targets with actions waiting to start. */
    Set<String> waitingTargets() {
        return Set.copyOf(waitingByTarget.keySet());
    }

    /** A waiting action is done without running (e.g. failed by an open circuit after its bound) with {@code outcome}. */
    void doneWithoutRunning(Slot<R> slot, R outcome) {
        Deque<Slot<R>> waiting = waitingByTarget.get(slot.target);
        if (slot.started || waiting == null || !waiting.remove(slot)) {
            throw new IllegalStateException("not waiting: " + slot.partition + "@" + slot.offset);
        }
        if (waiting.isEmpty()) {
            waitingByTarget.remove(slot.target);
        }
        done(slot, outcome);
    }

    /** A started action finished with {@code outcome}; its target may run its next action. */
    void finished(Slot<R> slot, R outcome) {
        if (!slot.started || slot.done) {
            throw new IllegalStateException("finished twice, or never started: " + slot.partition + "@" + slot.offset);
        }
        done(slot, outcome);
        busyTargets.remove(slot.target);
        running--;
    }

    private void done(Slot<R> slot, R outcome) {
        slot.done = true;
        slot.outcome = outcome;
        if (!slot.forgotten) {
            newlyDone.add(slot);
        }
    }

    /**
     * The done records not reported yet, marked reported, in the order of their partitions and offsets: their outcomes
     * are written now.
     */
    List<Slot<R>> takeOutcomes() {
        if (newlyDone.isEmpty()) {
            return List.of();
        }
        Map<TopicPartition, Integer> order = new HashMap<>();
        for (TopicPartition partition : byPartition.keySet()) {
            order.put(partition, order.size());
        }
        List<Slot<R>> outcomes = new ArrayList<>(newlyDone.size());
        for (Slot<R> slot : newlyDone) {
            if (!slot.forgotten) {
                slot.reported = true;
                unreported.merge(slot.partition, -1, Integer::sum);
                outcomes.add(slot);
            }
        }
        newlyDone.clear();
        outcomes.sort(Comparator.<Slot<R>>comparingInt(slot -> order.get(slot.partition))
                .thenComparingLong(slot -> slot.offset));
        return outcomes;
    }

    /**
     * Takes each partition's reported prefix out of the queue: the offset after its last record is committed, with the
     * outcomes reported in the same transaction.
     */
    Map<TopicPartition, Long> takeCommittable() {
        Map<TopicPartition, Long> offsets = new LinkedHashMap<>();
        for (Map.Entry<TopicPartition, Deque<Slot<R>>> partition : byPartition.entrySet()) {
            Deque<Slot<R>> slots = partition.getValue();
            while (!slots.isEmpty() && slots.peek().reported) {
                offsets.put(partition.getKey(), slots.poll().offset + 1);
                size--;
            }
        }
        return offsets;
    }

    /**
     * Forgets {@code partitions} (revoked or lost): their records not started never run here. Returns their actions
     * still running: these count against the limit and keep their targets busy until they finish, and their outcome
     * is dropped then (the partition's next owner runs them again).
     */
    List<Slot<R>> forget(Collection<TopicPartition> partitions) {
        List<Slot<R>> stillRunning = new ArrayList<>();
        for (TopicPartition partition : partitions) {
            Deque<Slot<R>> slots = byPartition.remove(partition);
            unreported.remove(partition);
            if (slots == null) {
                continue;
            }
            size -= slots.size();
            for (Slot<R> slot : slots) {
                slot.forgotten = true;
                if (slot.started && !slot.done) {
                    stillRunning.add(slot);
                } else if (!slot.started) {
                    Deque<Slot<R>> waiting = waitingByTarget.get(slot.target);
                    if (waiting != null) {
                        waiting.remove(slot);
                        if (waiting.isEmpty()) {
                            waitingByTarget.remove(slot.target);
                        }
                    }
                }
            }
        }
        return stillRunning;
    }

    /**
     * The waiting actions of {@code partitions} will not start here (the partitions are being given up): they stay
     * unreported, so the offset stops before the first of them.
     */
    void dropWaiting(Collection<TopicPartition> partitions) {
        for (TopicPartition partition : partitions) {
            Deque<Slot<R>> slots = byPartition.get(partition);
            if (slots == null) {
                continue;
            }
            for (Slot<R> slot : slots) {
                Deque<Slot<R>> waiting = slot.started || slot.done ? null : waitingByTarget.get(slot.target);
                if (waiting != null && waiting.remove(slot) && waiting.isEmpty()) {
                    waitingByTarget.remove(slot.target);
                }
            }
        }
    }

    /** Actions running now. */
    int running() {
        return running;
    }

    /** Actions waiting for their target or for a free place. */
    int waiting() {
        return waitingByTarget.values().stream().mapToInt(Deque::size).sum();
    }

    /** When the longest-waiting action was read (wall clock, ms); -1 when none waits. */
    long oldestWaiting() {
        long oldest = -1;
        for (Deque<Slot<R>> waiting : waitingByTarget.values()) {
            Slot<R> head = waiting.peek();
            if (head != null && (oldest < 0 || head.readAt < oldest)) {
                oldest = head.readAt;
            }
        }
        return oldest;
    }

    /** Records held, running, waiting or done and not yet taken. */
    int size() {
        return size;
    }

    /** Records held of {@code partition}, reported or not. */
    int size(TopicPartition partition) {
        Deque<Slot<R>> slots = byPartition.get(partition);
        return slots == null ? 0 : slots.size();
    }

    /** Records of {@code partition} not reported yet: running, waiting, or done this round. */
    int unreported(TopicPartition partition) {
        return unreported.getOrDefault(partition, 0);
    }

    /** Whether any of {@code partitions}' actions is running. */
    boolean runningIn(Collection<TopicPartition> partitions) {
        for (TopicPartition partition : partitions) {
            Deque<Slot<R>> slots = byPartition.get(partition);
            if (slots != null && slots.stream().anyMatch(s -> s.started && !s.done)) {
                return true;
            }
        }
        return false;
    }
}
