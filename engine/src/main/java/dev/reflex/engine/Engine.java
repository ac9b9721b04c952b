package dev.reflex.engine;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import dev.reflex.rules.IndexedRule;
import dev.reflex.rules.QuarantinedRule;
import dev.reflex.rules.RuleBook;
import dev.reflex.schemas.DeadLetter;
import dev.reflex.schemas.DeadLetters;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.FlowInstance;
import dev.reflex.schemas.KafkaConnection;
import dev.reflex.schemas.Register;
import dev.reflex.schemas.TopicAdmin;
import dev.reflex.schemas.Topics;
import dev.reflex.schemas.registry.SchemaRegistryClient;
import dev.reflex.schemas.registry.SchemaRegistryUnavailableException;
import dev.reflex.schemas.serde.ReflexSerdes;
import dev.reflex.topology.DeadLetterProducer;
import dev.reflex.topology.ProcessingDeadLetters;
import dev.reflex.topology.ProcessingListener;
import dev.reflex.topology.ReflexTopology;
import dev.reflex.topology.Registers;
import dev.reflex.topology.TopologyOptions;

/** The engine process: checks what it depends on, creates the fixed topics when allowed, and runs the topology. */
public final class Engine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);

    /** The engine cannot start; the message says what to do. */
    public static final class StartException extends RuntimeException {
        public StartException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final KafkaStreams streams;
    private final boolean staticMember;
    private final CountDownLatch running = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicInteger threadFailures = new AtomicInteger();
    private final ReplaceBackoff backoff = new ReplaceBackoff(1_000, 30_000, 60_000);

    private final RuleBook rules;
    private final RecentDecisions recent;
    private final DeadLetterProducer globalDeadLetters;

    private final InputBarriers barriers;
    private StallWatch stallWatch;
    private volatile String stall;
    private RunMarker marker;

    private Engine(
            KafkaStreams streams,
            boolean staticMember,
            RuleBook rules,
            RecentDecisions recent,
            DeadLetterProducer globalDeadLetters,
            InputBarriers barriers) {
        this.globalDeadLetters = globalDeadLetters;
        this.barriers = barriers;
        this.streams = streams;
        this.staticMember = staticMember;
        this.rules = rules;
        this.recent = recent;
    }

    /** Starts the engine; throws {@link StartException} with a one-line explanation when Kafka or the registry is unreachable. */
    public static Engine start(EngineConfig config) {
        return start(config, new SimpleMeterRegistry());
    }

    /** Starts the engine, counting Reflex's own meters ({@link EngineMetrics}) in {@code registry} from the first record. */
    public static Engine start(EngineConfig config, MeterRegistry registry) {
        return start(config, registry, ProcessingListener.NONE);
    }

    /** As {@link #start(EngineConfig, MeterRegistry)}, telling {@code listener} too of what the topology does. */
    public static Engine start(EngineConfig config, MeterRegistry registry, ProcessingListener listener) {
        KafkaConnection kafka = config.kafka();
        checkServices(config, kafka);
        RuleBook rules = new RuleBook();
        // kept for the API only: none when it is off
        RecentDecisions recent = new RecentDecisions(
                config.getInt(EngineConfig.API_PORT_CONFIG) < 0
                        ? 0
                        : config.getInt(EngineConfig.API_DECISIONS_KEPT_CONFIG));
        ReflexSerdes serdes =
                new ReflexSerdes(new SchemaRegistryClient(config.schemaRegistryUrl()), config.autoRegisterSchemas());
        DeadLetterProducer globalDeadLetters = new DeadLetterProducer(
                kafka, config.topicNames(), serdes.value(DeadLetter.class).serializer());
        Properties streamsProperties = config.streamsProperties();
        boolean streamsGroup =
                "streams".equalsIgnoreCase(String.valueOf(streamsProperties.get(StreamsConfig.GROUP_PROTOCOL_CONFIG)));
        InputBarriers barriers = config.getBoolean(EngineConfig.DEADLINES_WAIT_FOR_INPUT_CONFIG)
                ? new InputBarriers(
                        kafka,
                        config.getString(EngineConfig.APPLICATION_ID_CONFIG),
                        streamsGroup,
                        config.topicNames(),
                        config.partitioning(),
                        System::currentTimeMillis)
                : null;
        TopologyOptions options = barriers == null
                ? config.topologyOptions()
                : config.topologyOptions().withInputProgress(barriers);
        Topics topics = new Topics(config.topicNames(), serdes);
        EngineMetrics meters = new EngineMetrics(registry);
        ProcessingListener listeners =
                ProcessingListener.all(ProcessingListener.decisions(recent::put), meters, listener);
        streamsProperties.putAll(ProcessingDeadLetters.settings(topics, options.reader(), listeners));
        KafkaStreams streams;
        try {
            streams = new KafkaStreams(
                    ReflexTopology.build(options, topics, rules, listeners, globalDeadLetters), streamsProperties);
        } catch (RuntimeException e) {
            if (barriers != null) {
                barriers.close();
            }
            throw e;
        }
        Engine engine = new Engine(
                streams,
                config.originals().containsKey("group.instance.id")
                        || config.originals().containsKey("main.consumer.group.instance.id"),
                rules,
                recent,
                globalDeadLetters,
                barriers);
        streams.setUncaughtExceptionHandler(error -> engine.threadFailed(error, config));
        engine.stallWatch = engine.watchForStalls(config, kafka, streamsGroup);
        streams.setStateListener((next, previous) -> {
            LOG.info("engine state {} -> {}", previous, next);
            if (next == KafkaStreams.State.RUNNING) {
                engine.running.countDown();
            }
            if (next == KafkaStreams.State.NOT_RUNNING || next == KafkaStreams.State.ERROR) {
                engine.stopped.countDown();
            }
        });
        RunMarker marker = RunMarker.start(Path.of(
                config.getString(EngineConfig.STATE_DIR_CONFIG), config.getString(EngineConfig.APPLICATION_ID_CONFIG)));
        if (marker.unclean()) {
            LOG.info(
                    "the last run of this engine did not stop cleanly (killed?): recovering, its local state is rebuilt from the "
                            + "changelog topics before processing resumes");
        }
        engine.marker = marker;
        streams.start();
        if (barriers != null) {
            barriers.start();
        }
        if (engine.stallWatch != null) {
            engine.stallWatch.start();
        }
        return engine;
    }

    /**
     * The watch for input this instance owns but does not process ({@link StallWatch}), unless reflex.stall.timeout.ms
     * is 0; it needs the classic group protocol, whose group description names each member's partitions.
     */
    private StallWatch watchForStalls(EngineConfig config, KafkaConnection kafka, boolean streamsGroup) {
        return StallWatch.of(
                        config,
                        kafka,
                        config.getString(EngineConfig.APPLICATION_ID_CONFIG),
                        streamsGroup,
                        streams,
                        found -> stopFor("input not processed: " + Stalls.describe(found)))
                .orElse(null);
    }

    /**
     * Stops the engine so that the process is restarted, saying why: input it owns (or its timeline owns) stood still,
     * which Kafka Streams does not recover from by itself (a task it cannot start, e.g. after a stream thread failed
     * during a rebalance).
     */
    void stopFor(String reason) {
        stall = reason;
        LOG.error(
                "{}; Kafka Streams does not recover from this by itself (a task it cannot start, e.g. after a stream "
                        + "thread failed during a rebalance), so the engine stops so that it is restarted "
                        + "(reflex.stall.timeout.ms)",
                reason);
        Thread stop = new Thread(
                () -> streams.close(CloseOptions.timeout(Duration.ofSeconds(30))
                        .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)),
                "reflex-engine-stop-stalled");
        stop.setDaemon(true);
        stop.start();
    }

    /** Why the engine stopped itself, when it did: input it or its timeline owned stood still (see {@link StallWatch}). */
    public Optional<String> stall() {
        return Optional.ofNullable(stall);
    }

    /**
     * Kafka answers and lets this principal create the fixed topics (when it creates them), and the registry answers;
     * otherwise a {@link StartException} in one line.
     */
    private static void checkServices(EngineConfig config, KafkaConnection kafka) {
        try (Admin admin = Admin.create(kafka.client(
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000",
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000"))) {
            TopicAdmin.requireReachable(admin, kafka.toString(), 10_000);
            if (config.getBoolean(EngineConfig.TOPICS_CREATE_CONFIG)) {
                List<String> created = new TopicAdmin(
                                admin, config.topicPartitions(), config.topicReplicationFactor(), 30_000)
                        .ensure(config.topicNames().fixed());
                if (!created.isEmpty()) {
                    LOG.info("created topics {}", created);
                }
            }
        } catch (TopicAdmin.NotAuthorizedException e) {
            throw new StartException(
                    e.getMessage() + " (reflex acls --component engine --application-id "
                            + config.getString(EngineConfig.APPLICATION_ID_CONFIG) + " --principal <principal>)",
                    e);
        }
        try {
            new SchemaRegistryClient(config.schemaRegistryUrl(), Duration.ofSeconds(10)).ping();
        } catch (SchemaRegistryUnavailableException e) {
            throw new StartException(e.getMessage() + "; check --schema-registry-url and that the registry is up", e);
        }
    }

    /**
     * A stream thread died: say why in one line when the cause is known (an outage, missing ACLs), wait with backoff so
     * a repeating failure is not retried in a tight loop (ending early when the engine is being stopped), then replace
     * the thread, which processes again from the last commit.
     */
    private StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse threadFailed(
            Throwable error, EngineConfig config) {
        threadFailures.incrementAndGet();
        long delay = backoff.next(System.currentTimeMillis());
        if (DeadLetters.isRetriable(error)) {
            LOG.warn(
                    "a stream thread stopped on an infrastructure fault ({}); retrying in {} ms from the last commit",
                    DeadLetters.reason(error),
                    delay);
        } else if (notAuthorized(error)) {
            LOG.error(
                    "the engine's principal is not authorized ({}); retrying in {} ms. 'reflex acls --component engine "
                            + "--application-id {} --principal <principal>' prints the ACLs it needs",
                    error.getMessage(),
                    delay,
                    config.getString(EngineConfig.APPLICATION_ID_CONFIG));
        } else {
            LOG.error(
                    "a stream thread failed; replacing it in {} ms, and its records will be processed again from the last commit",
                    delay,
                    error);
        }
        long until = System.currentTimeMillis() + delay;
        try {
            while (System.currentTimeMillis() < until && streams.state() != KafkaStreams.State.PENDING_SHUTDOWN) {
                Thread.sleep(Math.min(100, Math.max(1, until - System.currentTimeMillis())));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
    }

    private static boolean notAuthorized(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof AuthorizationException) {
                return true;
            }
        }
        return false;
    }

    /** Waits until the engine processes records (rules and registers are loaded by then). */
    public boolean awaitRunning(Duration timeout) throws InterruptedException {
        return running.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Blocks until the engine stops. */
    public void awaitStopped() throws InterruptedException {
        stopped.await();
    }

    /** How many times a stream thread failed and was replaced since the start (0 in a healthy run). */
    public int threadFailures() {
        return threadFailures.get();
    }

    /** The metrics of the engine's Kafka Streams instance and its clients. */
    public Map<MetricName, ? extends Metric> metrics() {
        return streams.metrics();
    }

    /**
     * Registers the engine's meters with {@code registry}: Kafka Streams' own metrics (per thread, task and processor
     * node, and of its clients), the stream thread replacements, and the rules held.
     */
    public void bindMetrics(MeterRegistry registry) {
        new KafkaStreamsMetrics(streams).bindTo(registry);
        Gauge.builder("reflex.engine.thread.failures", threadFailures, AtomicInteger::get)
                .description("Stream threads that failed and were replaced since the start")
                .register(registry);
        Gauge.builder(
                        "reflex.engine.rules",
                        rules,
                        r -> r.all().stream()
                                .filter(i -> !(i instanceof QuarantinedRule))
                                .count())
                .description("Rules this instance evaluates")
                .register(registry);
        Gauge.builder(
                        "reflex.engine.rules.quarantined",
                        rules,
                        r -> r.all().stream()
                                .filter(i -> i instanceof QuarantinedRule)
                                .count())
                .description("Rules quarantined on this instance (over the evaluation budget, or failing to compile)")
                .register(registry);
        if (barriers != null) {
            Gauge.builder("reflex.engine.deadlines.input.behind", barriers, b -> b.behindMs() / 1000.0)
                    .baseUnit("seconds")
                    .description("How far behind the wall clock the engine's input is known to be read: due "
                            + "deadlines wait until it is read up to their due time")
                    .register(registry);
        }
        Gauge.builder("reflex.engine.running", streams, s -> s.state() == KafkaStreams.State.RUNNING ? 1 : 0)
                .description("1 while Kafka Streams is RUNNING")
                .register(registry);
    }

    /** Every rule this instance holds, compiled or quarantined (every instance holds all of them). */
    public List<IndexedRule> rules() {
        return rules.all();
    }

    /** A decision this instance made recently, if it still keeps it (reflex.api.decisions.kept). */
    public Optional<Decision> recentDecision(String eventId) {
        return recent.get(eventId);
    }

    /**
     * The instance that owns register {@code name} (applies its operations), by its API address (application.server);
     * empty while the group is rebalancing or when no address is configured.
     */
    public Optional<HostInfo> registerOwner(String name) {
        return owner(ReflexTopology.REGISTER_VALUES_STORE, name);
    }

    /** The instance whose task holds {@code key} in {@code store}, by its API address; empty when not known. */
    private Optional<HostInfo> owner(String store, String key) {
        KeyQueryMetadata owner =
                streams.queryMetadataForKey(store, key, Serdes.String().serializer());
        if (owner == null
                || owner.equals(KeyQueryMetadata.NOT_AVAILABLE)
                || owner.activeHost().port() < 0) {
            return Optional.empty();
        }
        return Optional.of(owner.activeHost());
    }

    /** The instance that owns flow instance {@code stateKey} (flow id/key), when known. */
    public Optional<HostInfo> flowOwner(String stateKey) {
        return owner(ReflexTopology.FLOW_INSTANCES_STORE, stateKey);
    }

    /** How many flow instances this engine's stores hold (running and recently finished); throws while they restore. */
    public long flowInstances() {
        ReadOnlyKeyValueStore<String, FlowInstance> store = streams.store(StoreQueryParameters.fromNameAndType(
                ReflexTopology.FLOW_INSTANCES_STORE, QueryableStoreTypes.<String, FlowInstance>keyValueStore()));
        long n = 0;
        try (var it = store.all()) {
            while (it.hasNext()) {
                it.next();
                n++;
            }
        }
        return n;
    }

    /** Flow instance {@code stateKey} (flow id/key) from this instance's store, when it is here. */
    public Optional<FlowInstance> flowInstance(String stateKey) {
        ReadOnlyKeyValueStore<String, FlowInstance> store = streams.store(StoreQueryParameters.fromNameAndType(
                ReflexTopology.FLOW_INSTANCES_STORE, QueryableStoreTypes.<String, FlowInstance>keyValueStore()));
        return Optional.ofNullable(store.get(stateKey));
    }

    /**
     * Register {@code name} as its owner holds it when this instance owns it ({@code owned} true), else as this
     * instance's replica of the registers topic shows it (committed values, a commit interval behind at most).
     */
    public Optional<Register> register(String name, boolean owned) {
        String store = owned ? ReflexTopology.REGISTER_VALUES_STORE : ReflexTopology.REGISTERS_STORE;
        ReadOnlyKeyValueStore<String, Register> values = streams.store(
                StoreQueryParameters.fromNameAndType(store, QueryableStoreTypes.<String, Register>keyValueStore()));
        Register register = values.get(name);
        if (register == null || Registers.isUnset(register, System.currentTimeMillis())) {
            return Optional.empty();
        }
        return Optional.of(register);
    }

    /** The API addresses of every instance of this engine's group (application.server of each). */
    public List<HostInfo> instances() {
        return streams.metadataForAllStreamsClients().stream()
                .map(StreamsMetadata::hostInfo)
                .filter(h -> h.port() > 0)
                .distinct()
                .toList();
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    /** The Kafka Streams client, for tests of this package that act on it directly (e.g. pause it). */
    KafkaStreams streams() {
        return streams;
    }

    /**
     * Stops processing and commits. A deliberate stop leaves the consumer group so the other instances (or this one,
     * restarted) take over at once instead of after the session timeout; with static membership it stays.
     */
    @Override
    public void close() {
        boolean closed = streams.close(CloseOptions.timeout(Duration.ofSeconds(30))
                .withGroupMembershipOperation(
                        staticMember
                                ? CloseOptions.GroupMembershipOperation.REMAIN_IN_GROUP
                                : CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
        if (closed && marker != null) {
            marker.stopped();
        }
        globalDeadLetters.close();
        if (barriers != null) {
            barriers.close();
        }
        if (stallWatch != null) {
            stallWatch.close();
        }
    }
}
