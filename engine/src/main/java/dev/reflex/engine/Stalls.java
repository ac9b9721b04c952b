package dev.reflex.engine;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

import org.apache.kafka.common.TopicPartition;

/**
 * Which input partitions of one instance have stood still: input left to read, and neither a commit nor a restoration
 * batch of its partition's tasks for {@code timeoutMs}. Fed one round of offsets at a time and judged by the clock of
 * the rounds, so it is tested without Kafka. A partition is watched only while the instance owns it and is running;
 * {@link #reset} forgets everything (a round that could not look, the instance not running).
 */
final class Stalls {
    /** One partition standing still. */
    record Stall(TopicPartition partition, long committed, long end, long forMs) {
        @Override
        public String toString() {
            return partition + " (committed offset " + committed + ", input up to " + end + ", no progress for "
                    + forMs / 1000 + " s)";
        }
    }

    private record Watched(long committed, long sinceMs) {}

    private final long timeoutMs;
    private final Map<TopicPartition, Watched> watched = new HashMap<>();

    Stalls(long timeoutMs) {
        this.timeoutMs = timeoutMs;
    }

    /**
     * One round at {@code nowMs}.
     *
     * @param owned           the partitions the instance is assigned
     * @param committed       the group's committed offsets (-1 where none)
     * @param ends            the partitions' last stable offsets
     * @param readUpTo        whether a partition behind its end holds nothing but markers and aborted records there
     * @param restoreActivity per partition number, when a task of that number last restored a batch of state
     * @return the partitions standing still for the timeout or longer, oldest first
     */
    List<Stall> round(
            long nowMs,
            Set<TopicPartition> owned,
            Map<TopicPartition, Long> committed,
            Map<TopicPartition, Long> ends,
            Predicate<TopicPartition> readUpTo,
            Map<Integer, Long> restoreActivity) {
        watched.keySet().retainAll(owned);
        List<Stall> stalls = new ArrayList<>();
        for (TopicPartition partition : owned) {
            long at = committed.getOrDefault(partition, -1L);
            Long end = ends.get(partition);
            if (end == null || end <= Math.max(at, 0) || readUpTo.test(partition)) {
                watched.remove(partition);
                continue;
            }
            Watched before = watched.get(partition);
            long restored = restoreActivity.getOrDefault(partition.partition(), Long.MIN_VALUE);
            if (before == null || before.committed() != at || restored >= before.sinceMs()) {
                watched.put(partition, new Watched(at, nowMs));
                continue;
            }
            long still = nowMs - before.sinceMs();
            if (still >= timeoutMs) {
                stalls.add(new Stall(partition, at, end, still));
            }
        }
        stalls.sort((a, b) -> Long.compare(b.forMs(), a.forMs()));
        return stalls;
    }

    void reset() {
        watched.clear();
    }

    /** The stalls in one line, for logs and health. */
    static String describe(List<Stall> stalls) {
        return String.join(", ", stalls.stream().map(Stall::toString).toList());
    }
}
