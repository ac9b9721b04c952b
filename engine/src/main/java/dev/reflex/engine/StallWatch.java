package dev.reflex.engine;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.ThreadMetadata;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.reflex.schemas.KafkaConnection;

/**
 * Watches that this instance processes the input it owns. Kafka Streams can leave an assigned task unprocessed for good
 * without failing: when a stream thread dies while a task moves between it and the state updater (e.g. a failure
 * inside a rebalance), the replacement thread cannot take the task's state directory, still locked in the dead thread's
 * name, and retries for ever while the instance reports RUNNING. Every round this reads the partitions the group
 * assigns to this instance's consumers, their committed offsets and end offsets ({@link InputOffsets}); a partition
 * with input left to read and no commit nor restoration for the timeout ({@link Stalls}) is reported once to
 * {@code onStall}, which stops the engine so that it is restarted (the only cure: the stuck task's stores are open in
 * this process). Rounds pause while the instance is not RUNNING or Kafka cannot be asked.
 */
final class StallWatch implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StallWatch.class);
    static final Duration ROUND = Duration.ofSeconds(5);

    private final InputOffsets offsets;
    private final Stalls stalls;
    private final Supplier<Set<String>> consumerClientIds;
    private final BooleanSupplier running;
    private final Consumer<List<Stalls.Stall>> onStall;
    private final LongSupplier clock;
    private final Map<Integer, Long> restoreActivity = new ConcurrentHashMap<>();
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "reflex-stall-watch");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean reported;

    StallWatch(
            InputOffsets offsets,
            long timeoutMs,
            Supplier<Set<String>> consumerClientIds,
            BooleanSupplier running,
            Consumer<List<Stalls.Stall>> onStall,
            LongSupplier clock) {
        this.offsets = offsets;
        this.stalls = new Stalls(timeoutMs);
        this.consumerClientIds = consumerClientIds;
        this.running = running;
        this.onStall = onStall;
        this.clock = clock;
    }

    /**
     * The watch over {@code streams}, the Kafka Streams client of consumer group {@code group}, reporting to
     * {@code onStall}; empty when reflex.stall.timeout.ms is 0, or with group.protocol=streams (whose group description
     * names tasks, not partitions). Set before the client starts (it listens to restorations).
     */
    static Optional<StallWatch> of(
            EngineConfig config,
            KafkaConnection kafka,
            String group,
            boolean streamsGroup,
            KafkaStreams streams,
            Consumer<List<Stalls.Stall>> onStall) {
        long timeout = config.getLong(EngineConfig.STALL_TIMEOUT_MS_CONFIG);
        if (timeout <= 0) {
            return Optional.empty();
        }
        if (streamsGroup) {
            LOG.info("reflex.stall.timeout.ms is not applied to {} with group.protocol=streams", group);
            return Optional.empty();
        }
        StallWatch watch = new StallWatch(
                new InputOffsets(kafka, group + "-stall-watch", group, false),
                timeout,
                () -> streams.metadataForLocalThreads().stream()
                        .map(ThreadMetadata::consumerClientId)
                        .collect(Collectors.toSet()),
                () -> streams.state() == KafkaStreams.State.RUNNING,
                onStall,
                System::currentTimeMillis);
        streams.setGlobalStateRestoreListener(watch.restoreListener());
        return Optional.of(watch);
    }

    /** Tells the watch when tasks restore state: a task restoring makes progress although its input does not move. */
    StateRestoreListener restoreListener() {
        return new StateRestoreListener() {
            @Override
            public void onRestoreStart(TopicPartition partition, String store, long start, long end) {
                restoreActivity.put(partition.partition(), clock.getAsLong());
            }

            @Override
            public void onBatchRestored(TopicPartition partition, String store, long batchEnd, long restored) {
                restoreActivity.put(partition.partition(), clock.getAsLong());
            }

            @Override
            public void onRestoreEnd(TopicPartition partition, String store, long totalRestored) {
                restoreActivity.put(partition.partition(), clock.getAsLong());
            }
        };
    }

    void start() {
        thread.scheduleWithFixedDelay(this::roundLogged, ROUND.toMillis(), ROUND.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void roundLogged() {
        try {
            round();
        } catch (RuntimeException e) {
            stalls.reset();
            LOG.debug("the stall watch could not look this round", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    void round() throws InterruptedException {
        if (reported) {
            return;
        }
        if (!running.getAsBoolean()) {
            stalls.reset();
            return;
        }
        Set<TopicPartition> owned = offsets.assignedTo(consumerClientIds.get());
        Map<TopicPartition, Long> committed = offsets.committed();
        Map<TopicPartition, Long> ends = offsets.endOffsets(owned);
        List<Stalls.Stall> found = stalls.round(
                clock.getAsLong(),
                owned,
                committed,
                ends,
                p -> offsets.readUpTo(p, ends.get(p), committed),
                Map.copyOf(restoreActivity));
        offsets.roundDone(committed);
        if (!found.isEmpty() && running.getAsBoolean()) {
            reported = true;
            onStall.accept(found);
        }
    }

    @Override
    public void close() {
        offsets.closeAfter(thread);
    }
}
