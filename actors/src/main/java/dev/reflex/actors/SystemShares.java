package dev.reflex.actors;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Configurable;
import org.apache.kafka.common.TopicPartition;

import dev.reflex.schemas.Rate;
import dev.reflex.schemas.SystemLimits;

/**
 * How the actors of one system keep its system-wide limits ({@code limits.system} of the catalog: concurrency, rate)
 * between them: the group's leader hands each member, with its partitions, a <em>share</em> of each limit, and the
 * shares add up to the limit. The assignment is eager: before any member gets a new share, every member has given up
 * its partitions, and giving up a partition waits for its running actions and reports them, so shares of two
 * generations never run side by side. A limit below the number of members goes to that many members only (each share
 * at least 1; the others get no partitions), so no partition waits on a share of zero. The leader computes the shares
 * from the catalog as it knows it; a member that reads a different limit in the catalog than its share was computed
 * from asks for a new assignment ({@link State#stale}).
 *
 * <p>A share of a rate also counts the starts of the generation before (read back from the results): a member may
 * start an action when its own starts since its share began, plus every start before that, are fewer than its share
 * within the window ({@link SystemRate}), so all members together stay within the rate.
 */
public final class SystemShares implements ConsumerPartitionAssignor, Configurable {
    /** The consumer setting that carries the runner's {@link State} to the assignor its consumer creates. */
    static final String STATE_CONFIG = "reflex.actor.system-shares";

    private static final short USER_DATA_VERSION = 1;

    /**
     * One member's part of the system-wide limits in this generation: how many actions it may run at once and start
     * per window ({@link Integer#MAX_VALUE}: no limit), and the limits the leader computed it from.
     */
    record Share(String limits, int concurrency, int rateCount, long rateWindowMs) {
        static final Share NONE = new Share("none", Integer.MAX_VALUE, Integer.MAX_VALUE, 0);

        boolean hasRate() {
            return rateCount != Integer.MAX_VALUE;
        }

        @Override
        public String toString() {
            if (limits.equals("none")) {
                return "no system-wide limits";
            }
            return (concurrency == Integer.MAX_VALUE ? "" : "concurrency " + concurrency + " ")
                    + (hasRate() ? "rate " + rateCount + "/" + rateWindowMs + "ms " : "")
                    + "of " + limits;
        }
    }

    /** Shared by an actor's polling thread and the assignor instance its consumer made. */
    static final class State {
        private volatile SystemLimits limits;
        private volatile Share share = Share.NONE;
        private volatile boolean assigned;
        private volatile long generation;

        /** The catalog's limits for the system, as this member last read them. */
        void limits(SystemLimits next) {
            this.limits = next;
        }

        SystemLimits limits() {
            return limits;
        }

        Share share() {
            return share;
        }

        /** Counts assignments: a new value means a new share began. */
        long generation() {
            return generation;
        }

        /** Whether this member's share was computed from other limits than the catalog says now. */
        boolean stale() {
            return assigned && !share.limits().equals(key(limits));
        }

        void assigned(Share next) {
            share = next;
            assigned = true;
            generation++;
        }
    }

    private State state = new State();

    @Override
    public void configure(Map<String, ?> configs) {
        Object given = configs.get(STATE_CONFIG);
        if (given instanceof State s) {
            state = s;
        }
    }

    @Override
    public String name() {
        return "reflex-system-shares";
    }

    @Override
    public List<RebalanceProtocol> supportedProtocols() {
        return List.of(RebalanceProtocol.EAGER);
    }

    @Override
    public GroupAssignment assign(Cluster metadata, GroupSubscription group) {
        TreeSet<String> topics = new TreeSet<>();
        group.groupSubscription().values().forEach(s -> topics.addAll(s.topics()));
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : topics) {
            Integer count = metadata.partitionCountForTopic(topic);
            for (int p = 0; count != null && p < count; p++) {
                partitions.add(new TopicPartition(topic, p));
            }
        }
        Map<String, Assignment> assignments = new HashMap<>();
        assign(new ArrayList<>(group.groupSubscription().keySet()), partitions, state.limits())
                .forEach((member, part) ->
                        assignments.put(member, new Assignment(part.partitions(), encode(part.share()))));
        return new GroupAssignment(assignments);
    }

    @Override
    public void onAssignment(Assignment assignment, ConsumerGroupMetadata metadata) {
        state.assigned(decode(assignment.userData()));
    }

    /** What one member gets: partitions and a share. */
    record Part(List<TopicPartition> partitions, Share share) {}

    /**
     * Splits {@code partitions} and the system-wide {@code limits} among {@code members}: as many members as the
     * limits and the partitions allow take part (sorted by id), partitions go round them, and each limit is split as
     * evenly as it goes, the first members taking the remainder.
     */
    static Map<String, Part> assign(List<String> members, List<TopicPartition> partitions, SystemLimits limits) {
        List<String> sorted = new ArrayList<>(members);
        sorted.sort(Comparator.naturalOrder());
        Integer concurrency = limits == null ? null : limits.getSystemConcurrency();
        Rate rate = limits == null ? null : limits.getSystemRate();
        int taking = Math.min(sorted.size(), partitions.size());
        if (concurrency != null) {
            taking = Math.min(taking, concurrency);
        }
        if (rate != null) {
            taking = Math.min(taking, rate.getCount());
        }
        List<TopicPartition> ordered = new ArrayList<>(partitions);
        ordered.sort(Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition));
        String key = key(limits);
        Map<String, Part> parts = new HashMap<>();
        for (int i = 0; i < sorted.size(); i++) {
            List<TopicPartition> mine = new ArrayList<>();
            for (int p = i; i < taking && p < ordered.size(); p += taking) {
                mine.add(ordered.get(p));
            }
            Share share = i >= taking
                    ? new Share(key, 0, 0, 0)
                    : new Share(
                            key,
                            concurrency == null ? Integer.MAX_VALUE : split(concurrency, taking, i),
                            rate == null ? Integer.MAX_VALUE : split(rate.getCount(), taking, i),
                            rate == null ? 0 : rate.getWindowMs());
            parts.put(sorted.get(i), new Part(mine, share));
        }
        return parts;
    }

    /** The {@code i}th of {@code n} near-equal parts of {@code total}. */
    private static int split(int total, int n, int i) {
        return total / n + (i < total % n ? 1 : 0);
    }

    /** The system-wide limits as a share names them. */
    static String key(SystemLimits limits) {
        Integer concurrency = limits == null ? null : limits.getSystemConcurrency();
        Rate rate = limits == null ? null : limits.getSystemRate();
        if (concurrency == null && rate == null) {
            return "none";
        }
        return (concurrency == null ? "" : "concurrency " + concurrency)
                + (concurrency != null && rate != null ? ", " : "")
                + (rate == null ? "" : "rate " + rate.getCount() + "/" + rate.getWindowMs() + "ms");
    }

    static ByteBuffer encode(Share share) {
        byte[] limits = share.limits().getBytes(StandardCharsets.UTF_8);
        ByteBuffer buffer = ByteBuffer.allocate(2 + 4 + limits.length + 4 + 4 + 8);
        buffer.putShort(USER_DATA_VERSION)
                .putInt(limits.length)
                .put(limits)
                .putInt(share.concurrency())
                .putInt(share.rateCount())
                .putLong(share.rateWindowMs());
        return buffer.flip();
    }

    static Share decode(ByteBuffer data) {
        if (data == null || data.remaining() < 2) {
            throw new IllegalStateException("an assignment without a share of the system's limits: does every actor"
                    + " of this system run the same Reflex version?");
        }
        ByteBuffer buffer = data.duplicate();
        short version = buffer.getShort();
        if (version != USER_DATA_VERSION) {
            throw new IllegalStateException("an assignment from a newer actor (share format " + version
                    + "): run the same Reflex version in every actor of this system");
        }
        byte[] limits = new byte[buffer.getInt()];
        buffer.get(limits);
        return new Share(
                new String(limits, StandardCharsets.UTF_8), buffer.getInt(), buffer.getInt(), buffer.getLong());
    }
}
