package dev.reflex.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.InvalidStateStoreException;

import dev.reflex.engine.Engine;
import dev.reflex.engine.EngineConfig;
import dev.reflex.schemas.ContentTypes;
import dev.reflex.schemas.FlowTransition;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.TransitionKind;
import dev.reflex.schemas.registry.SchemaRegistryClient;
import dev.reflex.schemas.serde.ReflexSerdes;

/**
 * Many flow instances waiting at once, on an embedded broker with one engine (1 stream thread, exactly_once_v2):
 * how fast they start, the state they take, how long the state takes to restore from its changelog (what a kill -9
 * costs under exactly-once, where the local state of an unclean shutdown is wiped and restored), and how late their
 * wait timeouts fire. Usage: {@code bench/run-flows [--quick]}: 100,000 instances (about 8 minutes on 2 cores);
 * --quick is 10,000.
 */
public final class FlowBench {
    private FlowBench() {}

    private static final String FLOW = """
        kind: flow
        id: waiting
        start: {when: {source: bench, type: begin}}
        limits: {running: 1000000}             # the default guard is 10,000 running per engine task
        context:
          owner: ${event.data.owner}
        steps:
          - id: wait
            wait: {for: {source: bench, type: never}, timeout: TIMEOUT}
            next: {timeout: end}
        """;
    private static final Pattern LATE = Pattern.compile("\\((\\d+) ms late\\)");

    public static void main(String[] args) throws Exception {
        boolean quick = Arrays.asList(args).contains("--quick");
        int instances = quick ? 10_000 : 100_000;
        Duration timeout = Duration.ofSeconds(quick ? 60 : 240);
        try (BenchCluster cluster = BenchCluster.start()) {
            TopicNames names = cluster.engineTopics(FLOW.replace("TIMEOUT", timeout.toSeconds() + "s"));
            String ingest = names.ingest("bench");
            Map<String, Object> settings = cluster.engineSettings(
                    names, StreamsConfig.EXACTLY_ONCE_V2, EngineConfig.DEFAULT_COMMIT_INTERVAL_MS);
            Path stateDir = Path.of((String) settings.get(EngineConfig.STATE_DIR_CONFIG));
            long started = System.nanoTime();
            double startRate;
            try (Engine engine = Engine.start(new EngineConfig(settings))) {
                produce(cluster, ingest, instances);
                cluster.awaitConsumed(names.prefix() + "engine", List.of(ingest, names.events(), names.correlate()));
                startRate = instances / ((System.nanoTime() - started) / 1e9);
                System.err.printf("%,d instances waiting: %,.0f starts/s%n", instances, startRate);
            }
            long rocks = bytes(stateDir, "flow-instances");
            long changelog = cluster.topicBytes(names.prefix() + "engine-flow-instances-changelog");
            // what kill -9 leaves under exactly-once: no local state to trust, everything restored from the changelog
            BenchCluster.deleteTree(stateDir);
            long restoring = System.nanoTime();
            double restoreSeconds;
            try (Engine engine = Engine.start(new EngineConfig(settings))) {
                if (!engine.awaitRunning(Duration.ofMinutes(10))) {
                    throw new IllegalStateException("the engine did not start within 10 minutes");
                }
                // RUNNING comes before the stores are restored: count the instances the store answers with
                long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
                long restored = 0;
                while (restored < instances && System.nanoTime() < deadline) {
                    try {
                        restored = engine.flowInstances();
                    } catch (InvalidStateStoreException e) {
                        restored = 0;
                    }
                    if (restored < instances) {
                        Thread.sleep(100);
                    }
                }
                restoreSeconds = (System.nanoTime() - restoring) / 1e9;
                System.err.printf(
                        "restored in %.1f s; waiting for the timeouts (%s after each start)...%n",
                        restoreSeconds, timeout);
                long[] late = awaitTimeouts(cluster, names, instances, Duration.ofMinutes(20));
                System.out.printf("%n| %,d flow instances waiting | figure |%n|---|---|%n", instances);
                System.out.printf(
                        "| starting them (start event to waiting, committed) | %,.0f instances/s |%n", startRate);
                System.out.printf(
                        "| state | %,.0f bytes/instance in RocksDB (%,.0f MB per 100,000), %,.0f bytes/instance on the changelog |%n",
                        rocks / (double) instances,
                        rocks * 100_000.0 / instances / 1e6,
                        changelog / (double) instances);
                System.out.printf(
                        "| restore from the changelog (kill -9 under exactly-once), start to every instance queryable | %.1f s |%n",
                        restoreSeconds);
                System.out.printf(
                        "| wait timeouts, how late each fired | p50 %,d ms, p99 %,d ms, max %,d ms |%n",
                        late[0], late[1], late[2]);
                System.out.printf(
                        "%n1 engine, 1 stream thread, 4 partitions, exactly_once_v2, commit.interval.ms %d (the default), timers checked every 500 ms.%n",
                        EngineConfig.DEFAULT_COMMIT_INTERVAL_MS);
            }
        }
    }

    private static void produce(BenchCluster cluster, String topic, int instances) {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", cluster.bootstrap(), "acks", "all", "linger.ms", 20, "batch.size", 262_144),
                new ByteArraySerializer(),
                new ByteArraySerializer())) {
            for (int i = 0; i < instances; i++) {
                producer.send(BenchCluster.ingestRecord(
                        topic,
                        "i-" + i,
                        ContentTypes.JSON,
                        ("{\"id\":\"begin-" + i + "\",\"type\":\"begin\",\"subject\":\"i-" + i + "\",\"owner\":\"team-"
                                        + (i % 50) + "\"}")
                                .getBytes(StandardCharsets.UTF_8)));
            }
            producer.flush();
        }
    }

    private static long[] awaitTimeouts(BenchCluster cluster, TopicNames names, int instances, Duration within)
            throws Exception {
        ReflexSerdes serdes = new ReflexSerdes(new SchemaRegistryClient(cluster.registry.url()), true);
        long until = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < until) {
            Thread.sleep(5_000);
            long[] late = TopicReader.readCommitted(
                            cluster.bootstrap(),
                            names.flows(),
                            serdes.value(FlowTransition.class).deserializer())
                    .stream()
                    .map(ConsumerRecord::value)
                    .filter(t -> t.getKind() == TransitionKind.TIMED_OUT)
                    .mapToLong(t -> {
                        Matcher m = LATE.matcher(t.getDetail());
                        return m.find() ? Long.parseLong(m.group(1)) : -1;
                    })
                    .sorted()
                    .toArray();
            if (late.length >= instances) {
                return new long[] {
                    late[late.length / 2], late[(int) Math.ceil(late.length * 0.99) - 1], late[late.length - 1]
                };
            }
        }
        throw new IllegalStateException("not every wait timed out within " + within);
    }

    private static long bytes(Path dir, String store) throws Exception {
        long total = 0;
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.filter(Files::isRegularFile)
                    .filter(p -> p.toString().contains(store))
                    .toList()) {
                total += Files.size(p);
            }
        }
        return total;
    }
}
