package dev.reflex.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListStreamsGroupOffsetsSpec;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.reflex.schemas.KafkaConnection;
import dev.reflex.schemas.TopicNames;
import dev.reflex.topology.InputProgress;
import dev.reflex.topology.Partitioning;

/**
 * Tells the correlate tasks how far the engine's input has been read, so no deadline beats an event that reached Kafka
 * before it was due ({@link Barriers} says how). Every round it reads the group's committed offsets (Admin), then the
 * input topics (a consumer that joins no group) and their last stable offsets, and moves the barriers on.
 * Kafka Streams commits a partition's consumer position, so a committed offset passes transaction markers; where a
 * partition's committed offset stays below an end offset, the consumer reads from it to see whether anything but
 * markers and aborted records lies between (the tail of a transaction aborted when an engine was killed).
 */
final class InputBarriers implements InputProgress, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(InputBarriers.class);
    /** How often barriers move: a deadline fires about three rounds (and commits) after its due time at the earliest. */
    static final Duration ROUND = Duration.ofMillis(200);
    /** Barriers in flight at most: a minute of backlog at full precision, then evenly thinned. */
    static final int MAX_PENDING = 300;
    /** Partitions read per round to look past markers, at most. */
    static final int PROBES_PER_ROUND = 4;

    private static final Duration WARN_AFTER = Duration.ofMinutes(1);

    private final Admin admin;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String groupId;
    private final boolean streamsGroup;
    private final TopicNames names;
    private final boolean readsEvents;
    private final Barriers barriers;
    private final LongSupplier clock;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "reflex-input-barriers");
        t.setDaemon(true);
        return t;
    });
    /** Committed offsets as of the round before, to probe only partitions whose group stopped below an end offset. */
    private Map<TopicPartition, Long> lastCommitted = Map.of();

    private final Map<TopicPartition, Probe> probed = new HashMap<>();
    private int probes;
    private long lastWarning;

    /**
     * @param groupId      the engine's consumer group (its application.id)
     * @param streamsGroup whether the group uses Kafka Streams' own rebalance protocol (group.protocol=streams)
     */
    InputBarriers(
            KafkaConnection kafka,
            String groupId,
            boolean streamsGroup,
            TopicNames names,
            Partitioning partitioning,
            LongSupplier clock) {
        this.groupId = groupId;
        this.streamsGroup = streamsGroup;
        this.names = names;
        this.clock = clock;
        this.admin = Admin.create(kafka.client(
                AdminClientConfig.CLIENT_ID_CONFIG,
                groupId + "-input-barriers",
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                "10000",
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
                "5000"));
        this.consumer = new KafkaConsumer<>(
                kafka.client(
                        ConsumerConfig.CLIENT_ID_CONFIG,
                        groupId + "-input-barriers",
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
        this.readsEvents = partitioning != Partitioning.INGEST;
        this.barriers = new Barriers(3, topic -> stageOf(names, readsEvents, topic), MAX_PENDING);
    }

    /** The stage of the engine's input {@code topic} is read in: 0 ingest and results, 1 events, 2 correlate; -1 none. */
    static int stageOf(TopicNames names, boolean readsEvents, String topic) {
        if (topic.equals(names.actionResults())
                || names.ingestPattern().matcher(topic).matches()) {
            return 0;
        }
        if (readsEvents && topic.equals(names.events())) {
            return 1;
        }
        return topic.equals(names.correlate()) ? 2 : -1;
    }

    void start() {
        thread.scheduleWithFixedDelay(this::roundLogged, 0, ROUND.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void roundLogged() {
        try {
            round();
        } catch (RuntimeException e) {
            if (thread.isShutdown()) {
                return;
            }
            // Kafka unreachable or the group not there yet: barriers wait, and so do deadlines, which is what is wanted
            warn("deadlines wait: the engine's read position could not be checked ({})", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    void round() throws InterruptedException {
        Map<TopicPartition, Long> committed = committed();
        long time = clock.getAsLong();
        List<TopicPartition> inputs = new ArrayList<>();
        for (Map.Entry<String, List<PartitionInfo>> topic :
                consumer.listTopics(Duration.ofSeconds(5)).entrySet()) {
            if (stageOf(names, readsEvents, topic.getKey()) < 0) {
                continue;
            }
            for (PartitionInfo p : topic.getValue()) {
                inputs.add(new TopicPartition(p.topic(), p.partition()));
            }
        }
        Map<TopicPartition, Long> ends = endOffsets(inputs);
        probes = 0;
        barriers.round(time, ends, (partition, end) -> reached(partition, end, committed));
        lastCommitted = committed;
        long behind = time - barriers.oldestPending(time);
        if (behind > WARN_AFTER.toMillis()) {
            warn(
                    "deadlines wait for input: the engine's group has not read its input up to {} ms ago yet ({} barriers in flight)",
                    behind,
                    barriers.pending());
        }
    }

    /** The last stable offsets of {@code partitions}: what a read_committed consumer reads up to. */
    private Map<TopicPartition, Long> endOffsets(List<TopicPartition> partitions) throws InterruptedException {
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

    private Map<TopicPartition, Long> committed() throws InterruptedException {
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
        return committed;
    }

    /**
     * Whether the group has read {@code partition} up to {@code end}: its committed offset is there, or, when the offset
     * has stood still since the round before, the consumer finds no record to read between it and {@code end}.
     */
    private boolean reached(TopicPartition partition, long end, Map<TopicPartition, Long> committed) {
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

    private void warn(String format, Object... args) {
        long now = clock.getAsLong();
        if (now - lastWarning >= WARN_AFTER.toMillis()) {
            lastWarning = now;
            LOG.warn(format, args);
        }
    }

    @Override
    public long readUpTo(int partition) {
        return barriers.readUpTo(partition);
    }

    /** How far behind the wall clock the oldest barrier in flight is: what the slowest deadline now waits for. */
    long behindMs() {
        long now = clock.getAsLong();
        return now - barriers.oldestPending(now);
    }

    @Override
    public void close() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        consumer.close(Duration.ofSeconds(5));
        admin.close(Duration.ofSeconds(5));
    }
}
