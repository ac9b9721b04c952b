package dev.reflex.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListStreamsGroupOffsetsSpec;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import dev.reflex.schemas.KafkaConnection;

/**
 * How far the engine's group has read its input, from outside Kafka Streams: the group's committed offsets and
 * assignment (Admin), the input's last stable offsets, and a consumer that joins no group to look past transaction
 * markers. Kafka Streams commits a partition's consumer position, so a committed offset passes markers; where a
 * partition's committed offset stays below an end offset, {@link #readUpTo} reads from it to see whether anything but
 * markers and aborted records lies between (the tail of a transaction aborted when an engine or actor was killed).
 * Used one round at a time from one thread.
 */
final class InputOffsets implements AutoCloseable {
    /** Partitions read per round to look past markers, at most. */
    static final int PROBES_PER_ROUND = 4;

    private final Admin admin;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String groupId;
    private final boolean streamsGroup;
    /** Committed offsets as of the round before, to probe only partitions whose group stopped below an end offset. */
    private Map<TopicPartition, Long> lastCommitted = Map.of();

    private final Map<TopicPartition, Probe> probed = new HashMap<>();
    private int probes;

    /**
     * @param clientId     the client id of the Admin and consumer (it names them in the broker's logs and quotas)
     * @param groupId      the engine's consumer group (its application.id)
     * @param streamsGroup whether the group uses Kafka Streams' own rebalance protocol (group.protocol=streams)
     */
    InputOffsets(KafkaConnection kafka, String clientId, String groupId, boolean streamsGroup) {
        this.groupId = groupId;
        this.streamsGroup = streamsGroup;
        this.admin = Admin.create(kafka.client(
                AdminClientConfig.CLIENT_ID_CONFIG,
                clientId,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                "10000",
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
                "5000"));
        this.consumer = new KafkaConsumer<>(
                kafka.client(
                        ConsumerConfig.CLIENT_ID_CONFIG,
                        clientId,
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        "read_committed",
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        "false",
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                        "earliest",
                        ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
                        "1",
                        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG,
                        "65536"),
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
    }

    /** The partitions of every topic whose name {@code input} accepts. */
    List<TopicPartition> partitions(Predicate<String> input) {
        List<TopicPartition> inputs = new ArrayList<>();
        for (Map.Entry<String, List<PartitionInfo>> topic :
                consumer.listTopics(Duration.ofSeconds(5)).entrySet()) {
            if (!input.test(topic.getKey())) {
                continue;
            }
            for (PartitionInfo p : topic.getValue()) {
                inputs.add(new TopicPartition(p.topic(), p.partition()));
            }
        }
        return inputs;
    }

    /** The last stable offsets of {@code partitions}: what a read_committed consumer reads up to. */
    Map<TopicPartition, Long> endOffsets(Collection<TopicPartition> partitions) throws InterruptedException {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        partitions.forEach(p -> latest.put(p, OffsetSpec.latest()));
        try {
            Map<TopicPartition, Long> ends = new HashMap<>();
            admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
                    .all()
                    .get()
                    .forEach((tp, info) -> ends.put(tp, info.offset()));
            return ends;
        } catch (ExecutionException e) {
            throw new IllegalStateException("listing the input's end offsets failed: " + e.getCause(), e.getCause());
        }
    }

    /** The group's committed offsets; a round starts here (the probe budget is renewed). */
    Map<TopicPartition, Long> committed() throws InterruptedException {
        Map<TopicPartition, OffsetAndMetadata> offsets;
        try {
            offsets = streamsGroup
                    ? admin.listStreamsGroupOffsets(Map.of(groupId, new ListStreamsGroupOffsetsSpec()))
                            .partitionsToOffsetAndMetadata(groupId)
                            .get()
                    : admin.listConsumerGroupOffsets(groupId)
                            .partitionsToOffsetAndMetadata()
                            .get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("listing the group's offsets failed: " + e.getCause(), e.getCause());
        }
        Map<TopicPartition, Long> committed = new HashMap<>();
        offsets.forEach((tp, o) -> {
            if (o != null) {
                committed.put(tp, o.offset());
            }
        });
        probes = 0;
        return committed;
    }

    /** Ends a round: {@code committed} is what the next round compares with. */
    void roundDone(Map<TopicPartition, Long> committed) {
        lastCommitted = committed;
    }

    /**
     * The partitions the group's members with one of {@code clientIds} are assigned (the classic protocol: a consumer
     * group's member descriptions carry them).
     */
    Set<TopicPartition> assignedTo(Set<String> clientIds) throws InterruptedException {
        ConsumerGroupDescription group;
        try {
            group = admin.describeConsumerGroups(List.of(groupId))
                    .describedGroups()
                    .get(groupId)
                    .get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("describing the group failed: " + e.getCause(), e.getCause());
        }
        Set<TopicPartition> assigned = new HashSet<>();
        for (MemberDescription member : group.members()) {
            if (clientIds.contains(member.clientId())) {
                assigned.addAll(member.assignment().topicPartitions());
            }
        }
        return assigned;
    }

    /**
     * Whether the group has read {@code partition} up to {@code end}: its committed offset is there, or, when the offset
     * has stood still since the round before, the consumer finds no record to read between it and {@code end}. Unknown
     * (false) when this round's probes are spent.
     */
    boolean readUpTo(TopicPartition partition, long end, Map<TopicPartition, Long> committed) {
        long at = committed.getOrDefault(partition, -1L);
        if (end <= 0 || at >= end) {
            return true;
        }
        if (at != lastCommitted.getOrDefault(partition, -1L)) {
            return false;
        }
        Probe found = probed.get(partition);
        if (found == null || found.from() != at || found.firstRecord() < 0 && found.position() < end) {
            if (probes >= PROBES_PER_ROUND) {
                return false;
            }
            probes++;
            found = probe(partition, at);
            probed.put(partition, found);
        }
        return found.firstRecord() >= 0 ? found.firstRecord() >= end : found.position() >= end;
    }

    /**
     * What reading a partition from {@code from} (-1: its start) found: the offset of the first record (-1: none), and how
     * far the consumer got past markers and aborted records.
     */
    private record Probe(long from, long firstRecord, long position) {}

    private Probe probe(TopicPartition partition, long from) {
        consumer.assign(List.of(partition));
        if (from < 0) {
            consumer.seekToBeginning(List.of(partition));
        } else {
            consumer.seek(partition, from);
        }
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
        long first = records.isEmpty() ? -1 : records.records(partition).get(0).offset();
        long position = consumer.position(partition, Duration.ofSeconds(5));
        consumer.assign(List.of());
        return new Probe(from, first, position);
    }

    /** Stops {@code rounds}, the thread that uses these offsets (waiting up to 10 s for its round), then closes. */
    void closeAfter(ExecutorService rounds) {
        rounds.shutdownNow();
        try {
            rounds.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        close();
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
        admin.close(Duration.ofSeconds(5));
    }
}
