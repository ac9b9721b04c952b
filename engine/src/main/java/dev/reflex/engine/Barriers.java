package dev.reflex.engine;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToIntFunction;

import org.apache.kafka.common.TopicPartition;

import dev.reflex.topology.InputProgress;

/**
 * The barriers in flight through the engine's stages of input, and what they have proved; pure, driven each round by
 * {@link InputBarriers} with what Kafka said.
 *
 * <p>A barrier taken at wall-clock time t holds the end offsets of the first stage's partitions (ingest topics, action
 * results) read after t: every record that reached Kafka before t is below them. It passes a stage when the engine's
 * group has read up to its end offsets there; the outputs of what was read are then committed, so the end offsets of
 * the next stage (reflex.events, then reflex.correlate), read after that, hold them. When it passes the last stage on
 * partition p, every record that reached the engine's input before t has been applied by the correlate task of p.
 * Barriers are taken every round, so under a backlog they pass one after another as it is worked off and each deadline
 * waits only for the input that came before it. They are a view of the offsets, rebuilt after a restart (losing them
 * delays deadlines, it never fires one early), and so held in memory.
 */
final class Barriers implements InputProgress {
    /** Whether a partition has been read up to an offset: by the committed offset, or by finding nothing to read below it. */
    @FunctionalInterface
    interface ReadUpTo {
        boolean reached(TopicPartition partition, long endOffset);
    }

    private static final class Barrier {
        final long takenAt;
        int stage;
        Map<TopicPartition, Long> ends;

        Barrier(long takenAt) {
            this.takenAt = takenAt;
        }
    }

    private final int stages;
    private final int maxPending;
    private final ToIntFunction<String> stageOf;
    private final List<Barrier> pending = new ArrayList<>();
    private final Map<Integer, Long> readUpTo = new ConcurrentHashMap<>();

    /**
     * @param stages     how many stages input passes through (the last is reflex.correlate, whose partitions are released
     *                   one by one)
     * @param stageOf    the stage a topic belongs to, from 0; -1 for a topic that is no input
     * @param maxPending barriers kept in flight at most; past it every second one not yet past the first stage is dropped,
     *                   so a long backlog keeps evenly spaced barriers (a dropped one only makes deadlines wait longer)
     */
    Barriers(int stages, ToIntFunction<String> stageOf, int maxPending) {
        this.stages = stages;
        this.stageOf = stageOf;
        this.maxPending = maxPending;
    }

    /**
     * One round: moves each barrier on through as many stages as {@code reached} proves, which must answer from committed
     * offsets read before {@code ends}, then takes a new barrier at {@code time} (read before {@code ends}) and moves it
     * on the same way.
     *
     * <p>Passing several stages in one round is sound: once the group is known to have read stage s up to a barrier's
     * ends, the outputs of what it read are committed, so the end offsets of stage s + 1 read after that knowledge (this
     * round's {@code ends}) hold them; and a committed offset at or past an end offset proves everything below that end
     * read, whichever of the two was looked at first. When nothing lags, a deadline then waits for one round, not one per
     * stage.
     *
     * @param ends the end offsets (read_committed) of every partition of every stage, read after {@code time}
     */
    synchronized void round(long time, Map<TopicPartition, Long> ends, ReadUpTo reached) {
        pending.removeIf(b -> advance(b, ends, reached));
        Barrier next = new Barrier(time);
        enter(next, 0, ends);
        if (!advance(next, ends, reached)) {
            pending.add(next);
        }
        if (pending.size() > maxPending) {
            thin();
        }
    }

    /** Moves {@code b} on as far as {@code reached} proves; true once it has passed its last partition of the last stage. */
    private boolean advance(Barrier b, Map<TopicPartition, Long> ends, ReadUpTo reached) {
        while (b.stage < stages - 1) {
            if (!b.ends.entrySet().stream().allMatch(e -> reached.reached(e.getKey(), e.getValue()))) {
                return false;
            }
            enter(b, b.stage + 1, ends);
        }
        for (Iterator<Map.Entry<TopicPartition, Long>> parts = b.ends.entrySet().iterator(); parts.hasNext(); ) {
            Map.Entry<TopicPartition, Long> part = parts.next();
            if (reached.reached(part.getKey(), part.getValue())) {
                readUpTo.merge(part.getKey().partition(), b.takenAt, Math::max);
                parts.remove();
            }
        }
        return b.ends.isEmpty();
    }

    /** Puts {@code b} at {@code stage} with that stage's end offsets, past stages with no partition at all. */
    private void enter(Barrier b, int stage, Map<TopicPartition, Long> ends) {
        Map<TopicPartition, Long> at = new HashMap<>();
        int s = stage;
        for (; s < stages; s++) {
            for (Map.Entry<TopicPartition, Long> e : ends.entrySet()) {
                if (stageOf.applyAsInt(e.getKey().topic()) == s) {
                    at.put(e.getKey(), e.getValue());
                }
            }
            if (!at.isEmpty() || s == stages - 1) {
                break;
            }
        }
        b.stage = s;
        b.ends = at;
    }

    private void thin() {
        int firstStage = 0;
        for (Iterator<Barrier> it = pending.iterator(); it.hasNext(); ) {
            Barrier b = it.next();
            // the newest stays: it is the one a deadline due now waits for
            if (b.stage == 0 && b != pending.get(pending.size() - 1) && firstStage++ % 2 == 1) {
                it.remove();
            }
        }
    }

    @Override
    public long readUpTo(int partition) {
        return readUpTo.getOrDefault(partition, Long.MIN_VALUE);
    }

    /** Barriers in flight. */
    synchronized int pending() {
        return pending.size();
    }

    /** The time of the oldest barrier in flight, or {@code now} when none is: what the slowest deadline waits for. */
    synchronized long oldestPending(long now) {
        return pending.isEmpty() ? now : pending.get(0).takenAt;
    }
}
