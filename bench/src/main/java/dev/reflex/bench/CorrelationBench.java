package dev.reflex.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.LongSummaryStatistics;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;

import dev.reflex.engine.Engine;
import dev.reflex.engine.EngineConfig;
import dev.reflex.schemas.ContentTypes;
import dev.reflex.schemas.CorrelationRole;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.DecisionDetail;
import dev.reflex.schemas.Outcome;
import dev.reflex.schemas.RuleOutcome;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.registry.SchemaRegistryClient;
import dev.reflex.schemas.serde.ReflexSerdes;
import dev.reflex.topology.keyed.KeyedProcessor;

/**
 * What correlation costs, on an embedded broker with one engine (1 stream thread, exactly_once_v2, default settings):
 * <ol>
 *   <li>events/s of a correlation rule ({@code count} per subject) against a plain rule on the same events;</li>
 *   <li>how late deadlines fire with many armed at once: one {@code unless} per key, none cancelled, the engine as
 *       {@code reflex engine} in a JVM of its own (with its timeline), after a warm-up round;</li>
 *   <li>the correlation state's size per key with many keys: the RocksDB files and the changelog.</li>
 * </ol>
 * Usage: {@code bench/run-correlation [--quick] [--deadlines] [--set KEY=VALUE ...]} (the second: the deadlines'
 * lateness only; {@code --set}: an engine setting for the deadlines' engine, to compare one): 200,000 events, 100,000
 * deadlines, 1,000,000 keys (about 10 minutes on 2 cores); --quick is 20,000, 10,000 and 100,000.
 */
public final class CorrelationBench {
    private CorrelationBench() {}

    private static final String PLAIN = """
        id: plain
        when: {source: bench, type: failed}
        then:
          - {system: ops, action: page, params: {host: "${event.subject}"}}
        """;
    private static final String COUNTED = """
        id: counted
        when: {source: bench, type: failed}
        correlate:
          count: {atLeast: 5, within: 1h}
        then:
          - {system: ops, action: page, params: {host: "${event.subject}", n: "${correlation.count}"}}
        """;
    private static final String ARMED = """
        id: armed
        when: {source: bench, type: failed}
        correlate:
          unless: {source: bench, type: recovered, within: WITHIN}
        then:
          - {system: ops, action: page, params: {host: "${event.subject}"}}
        """;

    /** The warm-up's rule: the same kind of deadline as {@link #ARMED}, on other events, due sooner. */
    private static final String WARM = """
        id: warm
        when: {source: bench, type: warm}
        correlate:
          unless: {source: bench, type: recovered, within: 10s}
        then:
          - {system: ops, action: page, params: {host: "${event.subject}"}}
        """;

    /** Engine settings given with {@code --set}, passed on to the deadlines' engine. */
    private static final List<String> SETTINGS = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        boolean quick = Arrays.asList(args).contains("--quick");
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals("--set")) {
                SETTINGS.add("--set");
                SETTINGS.add(args[++i]);
            }
        }
        int events = quick ? 20_000 : 200_000;
        int deadlines = quick ? 10_000 : 100_000;
        int keys = quick ? 100_000 : 1_000_000;
        try (BenchCluster cluster = BenchCluster.start()) {
            if (Arrays.asList(args).contains("--deadlines")) {
                long[] late = lateness(cluster, deadlines, Duration.ofSeconds(quick ? 20 : 60));
                System.out.printf(
                        "%n%,d deadlines armed at once (unless, none cancelled): how late each fired: p50 %,d ms, p99"
                                + " %,d ms, max %,d ms%n",
                        deadlines, late[0], late[1], late[2]);
                return;
            }
            double plain = rate(cluster, PLAIN, events, 5_000);
            double counted = rate(cluster, COUNTED, events, 5_000);
            long[] late = lateness(cluster, deadlines, Duration.ofSeconds(quick ? 20 : 60));
            double[] size = stateSize(cluster, keys);
            System.out.printf("%n| workload | figure |%n|---|---|%n");
            System.out.printf("| plain rule, %,d events (5,000 subjects) | %,.0f events/s |%n", events, plain);
            System.out.printf(
                    "| correlation rule (count 5 within 1h per subject), same events | %,.0f events/s (%.0f%% of plain; %.1f µs more per event) |%n",
                    counted, 100 * counted / plain, (1e6 / counted) - (1e6 / plain));
            System.out.printf(
                    "| %,d deadlines armed at once (unless, none cancelled): how late each fired | p50 %,d ms, p99 %,d ms, max %,d ms |%n",
                    deadlines, late[0], late[1], late[2]);
            System.out.printf(
                    "| %,d keys (count 2 within 1h, one event each): state | RocksDB %,.0f bytes/key (%,.0f MB per 1,000,000 keys); changelog %,.0f bytes/key |%n",
                    keys, size[0], size[0], size[1]);
            System.out.printf(
                    "%n1 engine, 1 stream thread, 4 partitions, exactly_once_v2, commit.interval.ms %d (the default), deadlines"
                            + " looked for every %d ms; the deadlines' engine runs in a JVM of its own (-Xmx1g) with its timeline.%n",
                    EngineConfig.DEFAULT_COMMIT_INTERVAL_MS, KeyedProcessor.TICK.toMillis());
        }
    }

    private static TopicNames engine(BenchCluster cluster, String rules) throws Exception {
        TopicNames names = cluster.engineTopics(rules);
        return names;
    }

    private static void produce(BenchCluster cluster, String topic, int events, int subjects, String idPrefix) {
        produce(cluster, topic, events, subjects, idPrefix, "failed");
    }

    private static void produce(
            BenchCluster cluster, String topic, int events, int subjects, String idPrefix, String type) {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", cluster.bootstrap(), "acks", "all", "linger.ms", 20, "batch.size", 262_144),
                new ByteArraySerializer(),
                new ByteArraySerializer())) {
            for (int i = 0; i < events; i++) {
                String subject = "host-" + (i % subjects);
                producer.send(BenchCluster.ingestRecord(
                        topic,
                        subject,
                        ContentTypes.JSON,
                        ("{\"id\":\"" + idPrefix + i + "\",\"type\":\"" + type + "\",\"subject\":\"" + subject + "\"}")
                                .getBytes(StandardCharsets.UTF_8)));
            }
            producer.flush();
        }
    }

    /** Events/s of an engine with {@code rules} over {@code events} pre-produced events, start-up included. */
    private static double rate(BenchCluster cluster, String rules, int events, int subjects) throws Exception {
        TopicNames names = engine(cluster, rules);
        String ingest = names.ingest("bench");
        produce(cluster, ingest, events, subjects, "e-");
        long start = System.nanoTime();
        try (Engine engine = Engine.start(new EngineConfig(cluster.engineSettings(
                names, StreamsConfig.EXACTLY_ONCE_V2, EngineConfig.DEFAULT_COMMIT_INTERVAL_MS)))) {
            List<String> inputs =
                    new ArrayList<>(BenchCluster.engineInputs(names, ingest, EngineThroughput.DEFAULT_PARTITIONING));
            inputs.add(names.correlate());
            cluster.awaitConsumed(names.prefix() + "engine", inputs);
            double rate = events / ((System.nanoTime() - start) / 1e9);
            System.err.printf("%s: %,.0f events/s%n", rules.lines().findFirst().orElse(""), rate);
            return rate;
        }
    }

    /** p50, p99 and max of how late {@code count} deadlines fired, all armed within seconds of each other. */
    private static long[] lateness(BenchCluster cluster, int count, Duration within) throws Exception {
        TopicNames names = engine(cluster, ARMED.replace("WITHIN", within.toSeconds() + "s") + "---\n" + WARM);
        String ingest = names.ingest("bench");
        // the engine (with its timeline, as by default) in a JVM of its own, as it runs in production: a heap shared
        // with the broker and the registry would make their garbage its pauses
        Path log = cluster.dir.resolve(names.prefix() + "engine.log");
        Child engine = new Child("engine", log, engineArgs(cluster, names))
                .heap("1g")
                .productionJvm()
                .start();
        try {
            // a running engine has compiled its hot code; one just started spends more CPU compiling than deciding
            int warm = count / 5;
            System.err.printf("warming the engine up: %,d deadlines due in 10 s (engine log: %s)...%n", warm, log);
            produce(cluster, ingest, warm, warm, "w-", "warm");
            awaitFirings(cluster, names, engine, "warm", warm, 2L * warm, Duration.ofMinutes(5));
            System.err.printf("arming %,d deadlines %s ahead...%n", count, within);
            produce(cluster, ingest, count, count, "d-");
            List<RuleOutcome> fired = awaitFirings(
                    cluster, names, engine, "armed", count, 2L * (warm + count), within.plus(Duration.ofMinutes(10)));
            long[] late = fired.stream()
                    .mapToLong(o -> o.getCorrelation().getLateMs())
                    .sorted()
                    .toArray();
            LongSummaryStatistics due =
                    fired.stream().mapToLong(o -> o.getCorrelation().getDueAt()).summaryStatistics();
            LongSummaryStatistics firedAt = fired.stream()
                    .mapToLong(o ->
                            o.getCorrelation().getDueAt() + o.getCorrelation().getLateMs())
                    .summaryStatistics();
            System.err.printf(
                    "%,d deadlines due within %,d ms, fired within %,d ms%n",
                    count, due.getMax() - due.getMin(), firedAt.getMax() - firedAt.getMin());
            // per second of due time: how many came due, and the latest of them
            TreeMap<Long, long[]> bySecond = new TreeMap<>();
            for (RuleOutcome o : fired) {
                long[] b = bySecond.computeIfAbsent(
                        (o.getCorrelation().getDueAt() - due.getMin()) / 1_000, k -> new long[2]);
                b[0]++;
                b[1] = Math.max(b[1], o.getCorrelation().getLateMs());
            }
            bySecond.forEach((second, b) ->
                    System.err.printf("  due in second %d: %,d, the latest fired %,d ms late%n", second, b[0], b[1]));
            return new long[] {
                late[late.length / 2], late[(int) Math.ceil(late.length * 0.99) - 1], late[late.length - 1]
            };
        } finally {
            engine.stop();
        }
    }

    /** {@code reflex engine} with default settings but for where it finds its cluster, its topics and its state. */
    private static List<String> engineArgs(BenchCluster cluster, TopicNames names) {
        List<String> args = new ArrayList<>(List.of(
                "engine",
                "--bootstrap-servers",
                cluster.bootstrap(),
                "--schema-registry-url",
                cluster.registry.url(),
                "--application-id",
                names.prefix() + "engine",
                "--set",
                "reflex.topic.prefix=" + names.prefix(),
                "--set",
                "state.dir=" + cluster.dir.resolve("state-" + names.prefix()),
                "--set",
                "consumer.auto.offset.reset=earliest",
                "--set",
                "reflex.api.port=0"));
        args.addAll(SETTINGS);
        return args;
    }

    /**
     * Waits for {@code count} deadlines of {@code ruleId} to fire, reading the decisions only once there may be
     * {@code decisions} of them: reading every decision is as much work as the engine's, and would slow the firing
     * measured.
     */
    private static List<RuleOutcome> awaitFirings(
            BenchCluster cluster,
            TopicNames names,
            Child engine,
            String ruleId,
            int count,
            long decisions,
            Duration timeout)
            throws Exception {
        long until = System.currentTimeMillis() + timeout.toMillis();
        List<RuleOutcome> fired = List.of();
        while (System.currentTimeMillis() < until) {
            Thread.sleep(2_000);
            if (records(cluster, names.decisions()) < decisions) {
                continue;
            }
            fired = firings(cluster, names).stream()
                    .filter(o -> o.getRuleId().equals(ruleId))
                    .toList();
            if (fired.size() >= count) {
                return fired;
            }
        }
        throw new IllegalStateException(fired.size() + " of " + count + " deadlines of " + ruleId + " fired"
                + (engine.exitedByItself().isEmpty() ? "" : "; " + engine.exitedByItself()));
    }

    /** Records of {@code topic} up to its end, transaction markers included (so at least as many as it holds). */
    private static long records(BenchCluster cluster, String topic) throws Exception {
        return BenchCluster.endOffsets(cluster.admin, List.of(topic)).values().stream()
                .mapToLong(Long::longValue)
                .sum();
    }

    private static List<RuleOutcome> firings(BenchCluster cluster, TopicNames names) {
        List<RuleOutcome> fired = new ArrayList<>();
        for (ConsumerRecord<byte[], Decision> r : TopicReader.readCommitted(
                cluster.bootstrap(),
                names.decisions(),
                new ReflexSerdes(new SchemaRegistryClient(cluster.registry.url()), true)
                        .value(Decision.class)
                        .deserializer())) {
            if (r.value().getDetail() == DecisionDetail.CORRELATION) {
                for (RuleOutcome o : r.value().getRules()) {
                    if (o.getOutcome() == Outcome.FIRED && o.getCorrelation().getRole() == CorrelationRole.DEADLINE) {
                        fired.add(o);
                    }
                }
            }
        }
        return fired;
    }

    /** Bytes per key of the correlation state: its RocksDB files (flushed) and its changelog topic. */
    private static double[] stateSize(BenchCluster cluster, int keys) throws Exception {
        String counted = COUNTED.replace("atLeast: 5", "atLeast: 2");
        TopicNames names = engine(cluster, counted);
        String ingest = names.ingest("bench");
        produce(cluster, ingest, keys, keys, "k-");
        Map<String, Object> settings =
                cluster.engineSettings(names, StreamsConfig.EXACTLY_ONCE_V2, EngineConfig.DEFAULT_COMMIT_INTERVAL_MS);
        Path stateDir = Path.of((String) settings.get(EngineConfig.STATE_DIR_CONFIG));
        try (Engine engine = Engine.start(new EngineConfig(settings))) {
            List<String> inputs =
                    new ArrayList<>(BenchCluster.engineInputs(names, ingest, EngineThroughput.DEFAULT_PARTITIONING));
            inputs.add(names.correlate());
            cluster.awaitConsumed(names.prefix() + "engine", inputs);
        }
        // closed: the stores are flushed and compacted files are on disk
        long rocks = 0;
        try (Stream<Path> files = Files.walk(stateDir)) {
            for (Path p : files.filter(Files::isRegularFile)
                    .filter(p -> p.toString().contains("correlation-state"))
                    .toList()) {
                rocks += Files.size(p);
            }
        }
        String changelog = names.prefix() + "engine-" + "correlation-state-changelog";
        long logBytes = cluster.topicBytes(changelog);
        return new double[] {rocks / (double) keys, logBytes / (double) keys};
    }
}
