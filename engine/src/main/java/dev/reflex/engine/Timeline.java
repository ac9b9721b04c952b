package dev.reflex.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TaskMetadata;
import org.apache.kafka.streams.ThreadMetadata;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import dev.reflex.rules.systems.SystemCatalog;
import dev.reflex.schemas.ComponentAcls;
import dev.reflex.schemas.DeadLetter;
import dev.reflex.schemas.Topics;
import dev.reflex.schemas.registry.SchemaRegistryClient;
import dev.reflex.schemas.serde.ReflexSerdes;
import dev.reflex.topology.DeadLetterProducer;
import dev.reflex.topology.timeline.SystemBook;
import dev.reflex.topology.timeline.TimelineEntry;
import dev.reflex.topology.timeline.TimelineReader;
import dev.reflex.topology.timeline.TimelineTopology;

/**
 * The timeline's Kafka Streams application ({@code <application.id>-timeline}), run beside the engine in its process,
 * and the local view of its stores for the API. Its own group and internal topics: the engine's tasks are untouched,
 * and a timeline that falls behind or fails never holds up decisions. A failed stream thread is replaced.
 */
public final class Timeline implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Timeline.class);

    /**
     * How long an entry that came before its event waits for it at most, should the timeline's read position be unknown
     * (its barriers normally release it within a few rounds of reading what came before it).
     */
    static final Duration PENDING_WAIT = Duration.ofMinutes(10);

    private final KafkaStreams streams;
    private final SystemBook systems;
    private final DeadLetterProducer deadLetters;
    private final InputBarriers barriers;
    private StallWatch stallWatch;
    private ScheduledExecutorService yielding;
    private volatile boolean pausedForBurst;
    private long pausedAt;
    private final ReplaceBackoff backoff = new ReplaceBackoff(1_000, 30_000, 60_000);

    private Timeline(KafkaStreams streams, SystemBook systems, DeadLetterProducer deadLetters, InputBarriers barriers) {
        this.streams = streams;
        this.systems = systems;
        this.deadLetters = deadLetters;
        this.barriers = barriers;
    }

    /**
     * Starts the timeline with the engine's settings (its {@code application.server} included), or empty when it is off.
     * When input it owns stands still (see {@link StallWatch}), {@code stalled} is told why. It is paused while the
     * engine fires a burst of due timers, as {@code yield} (told of the engine's firings) says.
     */
    static Optional<Timeline> start(
            EngineConfig config, MeterRegistry registry, Consumer<String> stalled, TimelineYield yield) {
        if (!config.getBoolean(EngineConfig.TIMELINE_ENABLED_CONFIG)
                || config.getInt(EngineConfig.API_PORT_CONFIG) < 0) {
            return Optional.empty();
        }
        ReflexSerdes serdes =
                new ReflexSerdes(new SchemaRegistryClient(config.schemaRegistryUrl()), config.autoRegisterSchemas());
        Topics topics = new Topics(config.topicNames(), serdes);
        DeadLetterProducer deadLetters = new DeadLetterProducer(
                config.kafka(),
                config.topicNames(),
                serdes.value(DeadLetter.class).serializer());
        Map<TimelineEntry.Kind, Counter> entries = new EnumMap<>(TimelineEntry.Kind.class);
        for (TimelineEntry.Kind kind : TimelineEntry.Kind.values()) {
            entries.put(
                    kind,
                    Counter.builder("reflex.timeline.entries")
                            .description("Entries the timeline stored, by kind")
                            .tag("kind", kind.name().toLowerCase(Locale.ROOT))
                            .register(registry));
        }
        SystemBook systems = new SystemBook();
        Properties props = properties(config);
        boolean streamsGroup =
                "streams".equalsIgnoreCase(String.valueOf(props.get(StreamsConfig.GROUP_PROTOCOL_CONFIG)));
        InputBarriers barriers = InputBarriers.forTimeline(
                config.kafka(),
                applicationId(config),
                streamsGroup,
                config.topicNames(),
                TimelineTopology.repartitionTopic(applicationId(config)),
                System::currentTimeMillis);
        TimelineTopology.Options options = new TimelineTopology.Options(
                Duration.ofDays(config.getInt(EngineConfig.TIMELINE_RETENTION_DAYS_CONFIG)),
                PENDING_WAIT,
                barriers,
                config.instanceId());
        KafkaStreams streams;
        try {
            streams = new KafkaStreams(
                    TimelineTopology.build(
                            topics,
                            options,
                            systems,
                            deadLetters::send,
                            entry -> entries.get(entry.kind()).increment()),
                    props);
        } catch (RuntimeException e) {
            barriers.close();
            throw e;
        }
        Timeline timeline = new Timeline(streams, systems, deadLetters, barriers);
        timeline.stallWatch = StallWatch.of(
                        config,
                        config.kafka(),
                        applicationId(config),
                        streamsGroup,
                        streams,
                        found -> stalled.accept("timeline input not processed: " + Stalls.describe(found)))
                .orElse(null);
        streams.setUncaughtExceptionHandler(timeline::threadFailed);
        streams.setStateListener((next, previous) -> LOG.info("timeline state {} -> {}", previous, next));
        Gauge.builder("reflex.timeline.paused", () -> timeline.pausedForBurst ? 1 : 0)
                .description("1 while the timeline is paused so that a burst of the engine's due timers fires first")
                .register(registry);
        streams.start();
        barriers.start();
        if (timeline.stallWatch != null) {
            timeline.stallWatch.start();
        }
        timeline.yieldTo(yield);
        return Optional.of(timeline);
    }

    /** Pauses and resumes the timeline as {@code yield} says, every {@link TimelineYield#ROUND}; never when it may not. */
    private void yieldTo(TimelineYield yield) {
        if (!yield.enabled()) {
            return;
        }
        yielding = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "reflex-timeline-yield");
            t.setDaemon(true);
            return t;
        });
        long every = TimelineYield.ROUND.toMillis();
        yielding.scheduleWithFixedDelay(() -> yieldRound(yield), every, every, TimeUnit.MILLISECONDS);
    }

    private void yieldRound(TimelineYield yield) {
        long now = System.currentTimeMillis();
        boolean pause = yield.pausedAt(now);
        try {
            if (pause && !pausedForBurst && !streams.isPaused()) {
                streams.pause();
                pausedForBurst = true;
                pausedAt = now;
                LOG.info("timeline paused: the engine is firing a burst of due timers, which go first");
            } else if (!pause && pausedForBurst) {
                streams.resume();
                pausedForBurst = false;
                LOG.info("timeline resumed after {} ms paused for a burst of due timers", now - pausedAt);
            }
        } catch (RuntimeException e) {
            // the timeline is stopping, or in ERROR: nothing to pause
            LOG.debug("the timeline could not be paused or resumed", e);
        }
    }

    /** Kafka Streams' poll.ms for the timeline unless the user set one: Kafka's default. */
    static final long POLL_MS = 100;

    /**
     * The timeline's Kafka Streams settings: the engine's, with its own application id and threads, and two of Reflex's
     * defaults for the engine replaced unless the user set them: the timeline's stores get LZ4 ({@link TimelineRocksDb})
     * instead of the engine's duplicate-detection filters, and its threads poll {@value #POLL_MS} ms instead of 10 (a
     * short poll makes the engine fire deadlines sooner; the timeline fires none, and an idle one looped a hundred times
     * a second).
     */
    static Properties properties(EngineConfig config) {
        Properties props = config.streamsProperties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId(config));
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, threads(config));
        if (!config.originals().containsKey(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG)) {
            props.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, TimelineRocksDb.class.getName());
        }
        if (!config.originals().containsKey(StreamsConfig.POLL_MS_CONFIG)) {
            props.put(StreamsConfig.POLL_MS_CONFIG, POLL_MS);
        }
        return props;
    }

    /** The timeline's stream threads: {@code reflex.timeline.threads}, or when that is 0 the engine's count. */
    static int threads(EngineConfig config) {
        int threads = config.getInt(EngineConfig.TIMELINE_THREADS_CONFIG);
        return threads > 0 ? threads : config.getInt(EngineConfig.NUM_STREAM_THREADS_CONFIG);
    }

    /** The timeline's application id: the engine's with {@code -timeline}. */
    public static String applicationId(EngineConfig config) {
        return ComponentAcls.timelineApplicationId(config.getString(EngineConfig.APPLICATION_ID_CONFIG));
    }

    private StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse threadFailed(Throwable error) {
        long delay = backoff.next(System.currentTimeMillis());
        LOG.error("a timeline stream thread failed; replacing it in {} ms", delay, error);
        try {
            Thread.sleep(delay);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    /** The Kafka Streams client, for tests of this package that act on it directly (e.g. pause it). */
    KafkaStreams streams() {
        return streams;
    }

    /** The systems catalog as the timeline has it from {@code reflex.systems}. */
    public SystemCatalog catalog() {
        return systems.get();
    }

    /**
     * The stores of the timeline tasks this instance runs; throws {@link InvalidStateStoreException} while they are not
     * queryable (starting, restoring, rebalancing).
     */
    public List<TimelineReader.Partition> partitions() {
        if (streams.state() != KafkaStreams.State.RUNNING) {
            throw new InvalidStateStoreException("the timeline is " + streams.state());
        }
        Set<Integer> numbers = new TreeSet<>();
        for (ThreadMetadata thread : streams.metadataForLocalThreads()) {
            for (TaskMetadata task : thread.activeTasks()) {
                numbers.add(task.taskId().partition());
            }
        }
        List<TimelineReader.Partition> partitions = new ArrayList<>();
        for (int p : numbers) {
            try {
                partitions.add(new TimelineReader.Partition(
                        window(TimelineTopology.TIMELINE_STORE, p),
                        window(TimelineTopology.STATE_STORE, p),
                        window(TimelineTopology.RECURRENCE_STORE, p),
                        window(TimelineTopology.STORIES_STORE, p)));
            } catch (InvalidStateStoreException notHere) {
                // this instance runs the reading task of partition p, not its attribution task
            }
        }
        return partitions;
    }

    private <V> ReadOnlyWindowStore<String, V> window(String store, int partition) {
        return streams.store(StoreQueryParameters.fromNameAndType(store, QueryableStoreTypes.<String, V>windowStore())
                .withPartition(partition));
    }

    /** The API addresses of the other instances running the timeline. */
    public List<HostInfo> others(HostInfo self) {
        return streams.metadataForAllStreamsClients().stream()
                .map(m -> m.hostInfo())
                .filter(h -> h.port() > 0 && !h.equals(self))
                .distinct()
                .toList();
    }

    /** The instance holding event {@code eventId}'s story, by its API address; empty when not known. */
    public Optional<HostInfo> storyOwner(String eventId) {
        KeyQueryMetadata owner = streams.queryMetadataForKey(
                TimelineTopology.STORIES_STORE, eventId, Serdes.String().serializer());
        if (owner == null
                || owner.equals(KeyQueryMetadata.NOT_AVAILABLE)
                || owner.activeHost().port() < 0) {
            return Optional.empty();
        }
        return Optional.of(owner.activeHost());
    }

    @Override
    public void close() {
        if (yielding != null) {
            yielding.shutdownNow();
        }
        if (stallWatch != null) {
            stallWatch.close();
        }
        streams.close(CloseOptions.timeout(Duration.ofSeconds(30))
                .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
        barriers.close();
        deadLetters.close();
    }
}
