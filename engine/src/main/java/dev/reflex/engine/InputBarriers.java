package dev.reflex.engine;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.ToIntFunction;

import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.reflex.schemas.KafkaConnection;
import dev.reflex.schemas.TopicNames;
import dev.reflex.topology.InputProgress;
import dev.reflex.topology.Partitioning;
import dev.reflex.topology.timeline.TimelineTopology;

/**
 * Tells the correlate tasks how far the engine's input has been read, so no deadline beats an event that reached Kafka
 * before it was due ({@link Barriers} says how). Every round it reads how far the group has read its input
 * ({@link InputOffsets}) and moves the barriers on. The timeline uses one of its own ({@link #forTimeline}): an entry
 * that came before its event waits until the timeline has read everything that reached Kafka before the entry.
 */
final class InputBarriers implements InputProgress, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(InputBarriers.class);
    /**
     * How often barriers move: a deadline fires within a round of its due time when nothing lags, and a round and a
     * commit per stage later while its input is being worked off.
     */
    static final Duration ROUND = Duration.ofMillis(100);
    /**
     * How often the timeline's barriers move: what waits for them is placed by a punctuator every second, so a finer
     * round would only cost the broker more offset requests.
     */
    static final Duration TIMELINE_ROUND = Duration.ofMillis(500);
    /** Barriers in flight at most: a minute of backlog at full precision (five for the timeline), then evenly thinned. */
    static final int MAX_PENDING = 600;

    private static final Duration WARN_AFTER = Duration.ofMinutes(1);

    private final InputOffsets offsets;
    private final ToIntFunction<String> stageOf;
    private final String waiting;
    private final Barriers barriers;
    private final LongSupplier clock;
    private final Duration every;
    private final ScheduledExecutorService thread;
    private long lastWarning;

    /**
     * The engine's barriers.
     *
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
        this(
                kafka,
                groupId,
                streamsGroup,
                3,
                topic -> stageOf(names, partitioning != Partitioning.INGEST, topic),
                "deadlines",
                ROUND,
                clock);
    }

    private InputBarriers(
            KafkaConnection kafka,
            String groupId,
            boolean streamsGroup,
            int stages,
            ToIntFunction<String> stageOf,
            String waiting,
            Duration every,
            LongSupplier clock) {
        this.clock = clock;
        this.every = every;
        this.stageOf = stageOf;
        this.waiting = waiting;
        this.offsets = new InputOffsets(kafka, groupId + "-input-barriers", groupId, streamsGroup);
        this.barriers = new Barriers(stages, stageOf, MAX_PENDING);
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "reflex-" + groupId + "-input-barriers");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * The timeline's barriers, over its two stages: the topics it reads (events, decisions, flow transitions, the rule
     * log), then its repartition topic by event id ({@code repartitionTopic}), read by the tasks that attribute.
     *
     * @param groupId the timeline's consumer group (its application.id)
     */
    static InputBarriers forTimeline(
            KafkaConnection kafka,
            String groupId,
            boolean streamsGroup,
            TopicNames names,
            String repartitionTopic,
            LongSupplier clock) {
        Set<String> read = Set.copyOf(TimelineTopology.inputTopics(names));
        return new InputBarriers(
                kafka,
                groupId,
                streamsGroup,
                2,
                topic -> read.contains(topic) ? 0 : topic.equals(repartitionTopic) ? 1 : -1,
                "timeline entries that came before their event",
                TIMELINE_ROUND,
                clock);
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
        thread.scheduleWithFixedDelay(this::roundLogged, 0, every.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void roundLogged() {
        try {
            round();
        } catch (RuntimeException e) {
            if (thread.isShutdown()) {
                return;
            }
            // Kafka unreachable or the group not there yet: barriers wait, and so do deadlines, which is what is wanted
            warn("{} wait: the read position could not be checked ({})", waiting, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    void round() throws InterruptedException {
        Map<TopicPartition, Long> committed = offsets.committed();
        long time = clock.getAsLong();
        List<TopicPartition> inputs = offsets.partitions(topic -> stageOf.applyAsInt(topic) >= 0);
        Map<TopicPartition, Long> ends = offsets.endOffsets(inputs);
        barriers.round(time, ends, (partition, end) -> offsets.readUpTo(partition, end, committed));
        offsets.roundDone(committed);
        long behind = time - barriers.oldestPending(time);
        if (behind > WARN_AFTER.toMillis()) {
            warn(
                    "{} wait for input: the group has not read its input up to {} ms ago yet ({} barriers in flight)",
                    waiting,
                    behind,
                    barriers.pending());
        }
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
        offsets.closeAfter(thread);
    }
}
