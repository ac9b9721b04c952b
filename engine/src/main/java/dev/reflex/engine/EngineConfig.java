package dev.reflex.engine;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.streams.StreamsConfig;

import dev.reflex.admin.BearerTokens;
import dev.reflex.admin.SettingPrefix;
import dev.reflex.schemas.KafkaConnection;
import dev.reflex.schemas.TopicNames;
import dev.reflex.topology.InputProgress;
import dev.reflex.topology.Partitioning;
import dev.reflex.topology.TopologyOptions;
import dev.reflex.topology.UnmatchedDecisions;
import dev.reflex.topology.normalize.FieldMapping;

/**
 * The engine's settings, declared once with their documentation; the configuration reference is generated from
 * {@link #CONFIG}. Settings that Reflex does not declare are passed to Kafka Streams and its clients as they are.
 */
public final class EngineConfig extends AbstractConfig {
    public static final String BOOTSTRAP_SERVERS_CONFIG = StreamsConfig.BOOTSTRAP_SERVERS_CONFIG;
    static final String BOOTSTRAP_SERVERS_DOC = "Kafka brokers to connect to, as host:port pairs separated by commas.";

    public static final String SCHEMA_REGISTRY_URL_CONFIG = "schema.registry.url";
    static final String SCHEMA_REGISTRY_URL_DOC = "Base URL of a Confluent-compatible schema registry "
            + "(Confluent, Karapace, Redpanda, or Apicurio's /apis/ccompat/v7).";

    public static final String SCHEMA_REGISTRY_AUTO_REGISTER_CONFIG = "schema.registry.auto.register";
    static final String SCHEMA_REGISTRY_AUTO_REGISTER_DOC = "Register Reflex's record schemas on first use. "
            + "Turn off where schemas are registered by a pipeline; the engine then fails on a schema that is not registered.";

    public static final String APPLICATION_ID_CONFIG = StreamsConfig.APPLICATION_ID_CONFIG;
    static final String APPLICATION_ID_DOC = "The consumer group of the engine: instances with the same id share "
            + "the work. Also prefixes the engine's internal topics.";

    public static final String TOPIC_PREFIX_CONFIG = "reflex.topic.prefix";
    static final String TOPIC_PREFIX_DOC =
            "Prefix of every Reflex topic (reflex.events, reflex.ingest.<source>, " + "reflex.actions.<system>, ...).";

    public static final String INSTANCE_ID_CONFIG = "reflex.instance.id";
    static final String INSTANCE_ID_DOC =
            "Name of this engine instance, recorded in every decision. Empty means host name and process id.";

    public static final String MAX_EVENT_BYTES_CONFIG = "reflex.max.event.bytes";
    static final String MAX_EVENT_BYTES_DOC =
            "Ingest records larger than this go to the dead-letter topic instead of being normalized.";

    public static final String TOPICS_CREATE_CONFIG = "reflex.topics.create";
    static final String TOPICS_CREATE_DOC = "Create the fixed Reflex topics (events, rules, registers, register-ops, "
            + "decisions, dlq, action-results) at start when they are missing. Turn off where topics are managed elsewhere.";

    public static final String TOPIC_PARTITIONS_CONFIG = "reflex.topic.partitions";
    static final String TOPIC_PARTITIONS_DOC =
            "Partitions of topics Reflex creates; -1 uses the broker's num.partitions.";

    public static final String TOPIC_REPLICATION_FACTOR_CONFIG = "reflex.topic.replication.factor";
    static final String TOPIC_REPLICATION_FACTOR_DOC =
            "Replication factor of topics Reflex creates; -1 uses the broker's default.replication.factor.";

    public static final String PROCESSING_GUARANTEE_CONFIG = StreamsConfig.PROCESSING_GUARANTEE_CONFIG;
    static final String PROCESSING_GUARANTEE_DOC = "exactly_once_v2: an event leads to its actions, register "
            + "operations and decision exactly once, also across crashes. at_least_once is faster but may repeat them after a crash.";

    public static final String NUM_STREAM_THREADS_CONFIG = StreamsConfig.NUM_STREAM_THREADS_CONFIG;
    static final String NUM_STREAM_THREADS_DOC = "Processing threads in this instance. One thread keeps about one "
            + "core busy; give one per core the engine may use, up to the partitions it reads (more stay idle). bench/run-scaling "
            + "measured a second thread adding 29% on a 2-core machine whose other core also ran the broker.";

    public static final String COMMIT_INTERVAL_MS_CONFIG = StreamsConfig.COMMIT_INTERVAL_MS_CONFIG;
    /** Measured by bench/run-latency: p99 send-to-action under 100 ms at 1,000 events/s with exactly_once_v2 (115 ms at 100). */
    public static final long DEFAULT_COMMIT_INTERVAL_MS = 50;

    static final String COMMIT_INTERVAL_MS_DOC = "How often results are committed. With exactly_once_v2 actions become "
            + "visible to actors only at a commit, so this bounds the added latency (at 50 ms, p99 from an event's send to its "
            + "action is about 70 ms on a 2-core machine); larger values give more throughput (fewer transactions).";

    /** A Kafka Streams or client setting Reflex sets unless the user does, and why. */
    public record KafkaDefault(String name, Object value, String why) {}

    /** The producers' record batch size Reflex uses unless batch.size or producer.batch.size is given. */
    public static final int DEFAULT_PRODUCER_BATCH_SIZE = 128 * 1024;

    /** How long a stream thread waits for input in a poll, unless poll.ms is given (the Kafka Streams default is 100). */
    public static final long DEFAULT_POLL_MS = 10;

    /** Kafka Streams and client settings Reflex sets unless given (a listed setting's default is in its definition). */
    public static final List<KafkaDefault> KAFKA_DEFAULTS = List.of(
            new KafkaDefault(
                    StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG),
                    DEFAULT_PRODUCER_BATCH_SIZE,
                    "an event writes several records to several partitions (its event, actions and decision, a duplicate-detection "
                            + "changelog record); batches eight times the client's 16384 bytes mean fewer batches to start and send, "
                            + "measured by bench/run-throughput as about a fifth more events per second under exactly_once_v2. A batch "
                            + "is sent when full or at the next commit, so a larger one adds no latency"),
            new KafkaDefault(
                    StreamsConfig.POLL_MS_CONFIG,
                    DEFAULT_POLL_MS,
                    "a stream thread with nothing to read waits this long in each poll before it fires due deadlines and "
                            + "commits, so during a burst of deadlines due together every round of firing and committing waited 100 ms "
                            + "(the Kafka Streams default) for input that was not coming: bench/run-correlation --deadlines measured p99 "
                            + "lateness of 250 and 270 ms against 423, 766 and 1,238 ms at 100. An idle engine then spends about 10 ms of "
                            + "CPU a second more (1% of a core). The timeline, which fires no deadlines, keeps Kafka's 100"),
            new KafkaDefault(
                    StreamsConfig.MAX_TASK_IDLE_MS_CONFIG,
                    StreamsConfig.MAX_TASK_IDLE_MS_DISABLED,
                    "no task waits for an empty input partition to order records by time across partitions: the topology joins "
                            + "nothing, and with waiting on, Kafka Streams formats a log text per record for a task whose second input "
                            + "(reflex.action-results beside an ingest topic) is empty"),
            new KafkaDefault(
                    StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG,
                    RocksDbTuning.class.getName(),
                    "duplicate detection reads, for nearly every event, an id its store does not hold; a bloom filter over each "
                            + "memtable of that store (335 KB per memtable) answers such a read without searching the memtable. A "
                            + "setter of your own replaces this one"));

    public static final String STATE_DIR_CONFIG = StreamsConfig.STATE_DIR_CONFIG;
    static final String STATE_DIR_DOC = "Directory for local state (register values, the registers table).";

    public static final String METADATA_MAX_AGE_MS_CONFIG = "metadata.max.age.ms";
    static final String METADATA_MAX_AGE_MS_DOC = "How often topic metadata is refreshed, which bounds how long a new "
            + "ingest topic (a new source) waits before the engine reads it.";

    public static final String REGISTER_EXPIRY_SCAN_MS_CONFIG = "reflex.register.expiry.scan.ms";
    static final String REGISTER_EXPIRY_SCAN_MS_DOC = "How often registers whose time to live (set ... ttl) has passed "
            + "are deleted from the registers topic. Rules read an expired register as unset at once, whatever this is.";

    public static final String RULE_SLOW_MS_CONFIG = "reflex.rule.slow.ms";
    static final String RULE_SLOW_MS_DOC =
            "A rule whose evaluation of one event takes longer than this (processor time "
                    + "of the engine's thread: pauses and a busy machine do not count) is quarantined on this instance (reported in "
                    + "decisions and the log) until a new version is applied. Rules have no loops, so only huge inputs get near it.";

    public static final String DEDUP_RETENTION_MS_CONFIG = "reflex.dedup.retention.ms";
    static final String DEDUP_RETENTION_MS_DOC =
            "An event whose id was seen within this time is dropped as a duplicate "
                    + "(a redelivered webhook, the same timer tick from several replicas). The ids are kept on disk for one to two times "
                    + "this long (in windows this long, the current one and the one before): about 50 bytes per event, so 1 hour at "
                    + "1,000 events/s is 180 to 360 MB. A changed value forgets the ids seen before the change. 0 turns duplicate "
                    + "detection off.";

    public static final String DEADLINES_WAIT_FOR_INPUT_CONFIG = "reflex.deadlines.wait.for.input";
    static final String DEADLINES_WAIT_FOR_INPUT_DOC = "A deadline (a flow's wait or step timeout, a retry backoff, "
            + "unless, debounce) fires by the wall clock, but not before every event that reached Kafka before it was due has "
            + "been applied: while the engine's group is behind its input (after a crash, during a rebalance, under a backlog) "
            + "due deadlines wait until the input is read up to their due time. It is known from the group's committed offsets, "
            + "checked every 100 ms, so a deadline fires a tenth to a few tenths of a second after its time when nothing lags. false fires "
            + "deadlines by the wall clock alone, within a tenth of a second, and then one can beat an event that came in time "
            + "but was not read yet.";

    public static final String STALL_TIMEOUT_MS_CONFIG = "reflex.stall.timeout.ms";
    static final String STALL_TIMEOUT_MS_DOC =
            "How long input this instance or its timeline owns may stand still (records left to read, no "
                    + "commit, no state restored) while it runs before it stops itself so that it is restarted (exit code 1; the log "
                    + "and /api/health name the partitions). Kafka Streams can keep a task it cannot start for ever while reporting "
                    + "RUNNING (e.g. after a stream thread failed during a rebalance); a restart is the cure. Checked every 5 s from the "
                    + "group's assignment and offsets; set it above the longest pause a healthy instance takes on one partition. "
                    + "0 turns the watch off. Not applied with group.protocol=streams.";

    public static final String DECISIONS_UNMATCHED_CONFIG = "reflex.decisions.unmatched";
    static final String DECISIONS_UNMATCHED_DOC = "What to record for an event that no rule matched: full (every rule "
            + "considered and why it did not match), summary (the event and how many rules could match), or none (no decision).";

    public static final String EVALUATE_PARTITIONING_CONFIG = "reflex.evaluate.partitioning";
    static final String EVALUATE_PARTITIONING_DOC = "Where events are evaluated. auto: where they are normalized "
            + "when the ingest record is keyed by the event's subject (by its id when it has none), as Reflex's connectors and "
            + "reflex publish write them, so all of a subject's records share an ingest partition and are evaluated in order by "
            + "one task with no extra Kafka round trip; any other record goes through reflex.events keyed by subject, as with "
            + "subject. subject: every event is written to reflex.events keyed by its subject and evaluated from there, so all "
            + "events of one subject are evaluated in order by one instance and duplicate detection sees every copy of an event "
            + "id, whatever key the producer used; this costs a round trip (about twice the end-to-end latency under "
            + "exactly_once_v2) and throughput. ingest: every event is evaluated right after normalization, in the task of its "
            + "ingest partition; order per subject and duplicate detection then hold only when producers key ingest records by "
            + "subject. Every event is written to reflex.events in each mode; one evaluated at ingest carries the header "
            + "reflex-evaluated, and the reader of reflex.events passes over it, so changing this setting neither loses nor "
            + "repeats an evaluation. With auto, a subject whose records arrive both keyed by it and keyed otherwise is "
            + "evaluated by two tasks, and duplicates of one event id are caught only among copies keyed alike.";

    public static final String API_PORT_CONFIG = "reflex.api.port";
    static final String API_PORT_DOC =
            "Port of the engine's read-only HTTP API (rules with versions, register values, recent "
                    + "decisions by event id; used by reflex explain). 0 picks a free port; -1 turns the API off.";

    public static final String API_HOST_CONFIG = "reflex.api.host";
    static final String API_HOST_DOC = "Address the API listens on. 0.0.0.0 for every interface (in a container), "
            + "which requires reflex.api.token: the API is read-only but shows rule and register contents.";

    public static final String API_TOKEN_CONFIG = "reflex.api.token";
    static final String API_TOKEN_DOC =
            "Bearer token the API's data routes (/api/rules, /api/registers, /api/decisions, "
                    + "/api/flows) require (Authorization: Bearer <token>); the engine instances send it to each other, and reflex explain "
                    + "and reflex flows send it when given --engine-token or REFLEX_API_TOKEN. Health and /metrics stay open for probes "
                    + "and scrapers. Required when reflex.api.host is not a loopback address. Never logged.";

    public static final String API_ADVERTISED_HOST_CONFIG = "reflex.api.advertised.host";
    static final String API_ADVERTISED_HOST_DOC = "Host name other engine instances use to reach this one's API, "
            + "for requests routed to the instance that owns a key (Kafka Streams application.server). Empty: reflex.api.host, "
            + "or the machine's host name when that is 0.0.0.0.";

    public static final String API_DECISIONS_KEPT_CONFIG = "reflex.api.decisions.kept";
    static final String API_DECISIONS_KEPT_DOC =
            "How many recent decisions each instance keeps in memory for the API's "
                    + "lookup by event id (about 1 KB each). Older ones are found on reflex.decisions by reflex explain. 0 keeps none.";

    public static final String TIMELINE_ENABLED_CONFIG = "reflex.timeline.enabled";
    static final String TIMELINE_ENABLED_DOC =
            "Whether the engine keeps the timeline (the web UI's and /api/timeline's "
                    + "view of events, decisions, results, flow transitions and rule changes per system), as a second Kafka Streams "
                    + "application '<application.id>-timeline' in the same process. Needs the API (reflex.api.port not -1).";

    public static final String TIMELINE_RETENTION_DAYS_CONFIG = "reflex.timeline.retention.days";
    static final String TIMELINE_RETENTION_DAYS_DOC = "How long the timeline keeps entries, by their time (event time "
            + "for events). 30 covers \"has this happened before\" over 30 days. Its stores hold each entry once per system it "
            + "is on; older segments are dropped whole.";

    public static final String TIMELINE_THREADS_CONFIG = "reflex.timeline.threads";
    static final String TIMELINE_THREADS_DOC = "Processing threads of the timeline in this instance; 0: as many as "
            + "num.stream.threads. The timeline spends about three times the engine's CPU per event (it stores each event "
            + "and its decision on every system they are on), so where the machine has cores to spare it may need more threads "
            + "than the engine to keep up with it. Threads past the partition count of the topics it reads (reflex.events and "
            + "the others) stay idle.";

    public static final String TIMELINE_YIELD_MAX_MS_CONFIG = "reflex.timeline.yield.max.ms";
    static final String TIMELINE_YIELD_MAX_MS_DOC =
            "How long the timeline is paused at most, in a row, while the engine "
                    + "fires a burst of due timers (200 or more in one 100 ms tick of one partition, and until 2 s after the last), so "
                    + "that the deadlines' actions go first: the timeline records each firing at several times the CPU the firing takes. "
                    + "Paused time is spent from a budget of this much, earned back at half the rate while the timeline runs, so over "
                    + "a long flood it is paused a third of the time at most; it reads on where it stopped. 0 never pauses it.";

    public static final String NORMALIZER_PREFIX = "reflex.normalizer.";
    static final String NORMALIZER_DOC =
            "Where a generic JSON event from <source> keeps an attribute: the attribute is "
                    + "one of id, type, subject, time, severity, correlationid, labels, and the value a JSON pointer (/alert/fingerprint) or "
                    + "a top-level field name; <source>.type.default gives a type to events that carry none. Without settings each "
                    + "attribute is read from the field of its own name, and an event without id gets <topic>-<partition>-<offset>, "
                    + "which a replay reproduces.";

    public static final ConfigDef CONFIG = EngineConfigDef.of();

    /** The families of settings named by a prefix. */
    public static final List<SettingPrefix> PREFIXES =
            List.of(new SettingPrefix(NORMALIZER_PREFIX, NORMALIZER_PREFIX + "<source>.<attribute>", NORMALIZER_DOC));

    private final Map<String, FieldMapping> mappings;

    public Partitioning partitioning() {
        return Partitioning.of(getString(EVALUATE_PARTITIONING_CONFIG));
    }

    /** What the topology is built with, from these settings. */
    public TopologyOptions topologyOptions() {
        return new TopologyOptions(
                instanceId(),
                maxEventBytes(),
                this::fieldMapping,
                partitioning(),
                Duration.ofMillis(getLong(RULE_SLOW_MS_CONFIG)),
                Duration.ofMillis(getLong(DEDUP_RETENTION_MS_CONFIG)),
                UnmatchedDecisions.of(getString(DECISIONS_UNMATCHED_CONFIG)),
                Duration.ofMillis(getLong(REGISTER_EXPIRY_SCAN_MS_CONFIG)),
                InputProgress.SYNCHRONOUS);
    }

    public EngineConfig(Map<?, ?> originals) {
        super(CONFIG, originals, false);
        this.mappings = FieldMapping.parse(originalsWithPrefix(NORMALIZER_PREFIX));
        int replication = getShort(TOPIC_REPLICATION_FACTOR_CONFIG);
        if (replication == 0 || replication < -1) {
            throw new ConfigException(
                    TOPIC_REPLICATION_FACTOR_CONFIG, replication, "must be -1 (broker default) or at least 1");
        }
        if (getInt(TOPIC_PARTITIONS_CONFIG) == 0) {
            throw new ConfigException(TOPIC_PARTITIONS_CONFIG, 0, "must be -1 (broker default) or at least 1");
        }
        String host = getString(API_HOST_CONFIG);
        if (getInt(API_PORT_CONFIG) >= 0 && !BearerTokens.isLoopback(host) && apiToken() == null) {
            throw new ConfigException(
                    API_TOKEN_CONFIG,
                    "(unset)",
                    "the API listening on " + host
                            + " needs a token, as it shows rules, registers and decisions; set reflex.api.token (or REFLEX_API_TOKEN)");
        }
    }

    /** The token the API requires; null when none is set. */
    public String apiToken() {
        Password token = getPassword(API_TOKEN_CONFIG);
        return token == null || token.value().isEmpty() ? null : token.value();
    }

    /** The brokers and the security settings given. */
    public KafkaConnection kafka() {
        return KafkaConnection.of(String.join(",", getList(BOOTSTRAP_SERVERS_CONFIG)), originals());
    }

    /** The host other instances reach this one's API on. */
    public String apiAdvertisedHost() {
        String advertised = getString(API_ADVERTISED_HOST_CONFIG);
        if (!advertised.isBlank()) {
            return advertised;
        }
        String host = getString(API_HOST_CONFIG);
        if (!host.equals("0.0.0.0")) {
            return host;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "localhost";
        }
    }

    public TopicNames topicNames() {
        return new TopicNames(getString(TOPIC_PREFIX_CONFIG));
    }

    public String schemaRegistryUrl() {
        return getString(SCHEMA_REGISTRY_URL_CONFIG);
    }

    public boolean autoRegisterSchemas() {
        return getBoolean(SCHEMA_REGISTRY_AUTO_REGISTER_CONFIG);
    }

    public int maxEventBytes() {
        return getInt(MAX_EVENT_BYTES_CONFIG);
    }

    public FieldMapping fieldMapping(String source) {
        return mappings.getOrDefault(source, FieldMapping.DEFAULT);
    }

    public Optional<Integer> topicPartitions() {
        int p = getInt(TOPIC_PARTITIONS_CONFIG);
        return p < 0 ? Optional.empty() : Optional.of(p);
    }

    public Optional<Short> topicReplicationFactor() {
        short r = getShort(TOPIC_REPLICATION_FACTOR_CONFIG);
        return r < 0 ? Optional.empty() : Optional.of(r);
    }

    public String instanceId() {
        String configured = getString(INSTANCE_ID_CONFIG);
        if (!configured.isBlank()) {
            return configured;
        }
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            host = "localhost";
        }
        return host + "/" + ManagementFactory.getRuntimeMXBean().getPid();
    }

    /** Everything Kafka Streams needs: Reflex's choices, then whatever the user passed that Reflex does not own. */
    public Properties streamsProperties() {
        Properties props = new Properties();
        for (Map.Entry<String, Object> e : originals().entrySet()) {
            if (!CONFIG.names().contains(e.getKey()) && !e.getKey().startsWith("reflex.")) {
                props.put(e.getKey(), e.getValue());
            }
        }
        props.putAll(kafka().client());
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, getString(APPLICATION_ID_CONFIG));
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, getString(PROCESSING_GUARANTEE_CONFIG));
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, getInt(NUM_STREAM_THREADS_CONFIG));
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, getLong(COMMIT_INTERVAL_MS_CONFIG));
        props.put(StreamsConfig.STATE_DIR_CONFIG, getString(STATE_DIR_CONFIG));
        props.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, true);
        for (KafkaDefault d : KAFKA_DEFAULTS) {
            // a producer.-prefixed setting would win over the plain one the user gave, so neither form may be there
            String plain = d.name().startsWith(StreamsConfig.PRODUCER_PREFIX)
                    ? d.name().substring(StreamsConfig.PRODUCER_PREFIX.length())
                    : null;
            if (!props.containsKey(d.name()) && (plain == null || !props.containsKey(plain))) {
                props.put(d.name(), d.value());
            }
        }
        props.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, getLong(METADATA_MAX_AGE_MS_CONFIG));
        return props;
    }

    /** A copy with some settings replaced. */
    public EngineConfig with(Map<String, ?> overrides) {
        Map<Object, Object> merged = new HashMap<>(originals());
        merged.putAll(overrides);
        return new EngineConfig(merged);
    }
}
