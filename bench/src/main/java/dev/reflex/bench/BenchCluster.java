package dev.reflex.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

import dev.reflex.embedded.ApicurioRegistry;
import dev.reflex.embedded.EmbeddedKafka;
import dev.reflex.engine.EngineConfig;
import dev.reflex.rules.files.RuleFiles;
import dev.reflex.schemas.ContentTypes;
import dev.reflex.schemas.Rule;
import dev.reflex.schemas.TopicAdmin;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.TopicSpec;
import dev.reflex.schemas.registry.SchemaRegistryClient;
import dev.reflex.schemas.serde.ReflexSerdes;

/**
 * What the engine benchmarks share: a broker and a registry in this process, the benchmark's workload (500-byte JSON
 * events on 4 partitions, 1,000 rules of which each event matches 3) and ways to wait for an application to catch up.
 */
final class BenchCluster implements AutoCloseable {
    static final int PARTITIONS = 4;
    static final int RULES = 1_000;
    static final int MATCHES = 3;
    static final String SYSTEM = "ops";

    final Path dir;
    /** Partitions of every topic this cluster creates. */
    final int partitions;

    final EmbeddedKafka kafka;
    final ApicurioRegistry registry;
    final Admin admin;

    private BenchCluster(Path dir, int partitions, EmbeddedKafka kafka, ApicurioRegistry registry) {
        this.dir = dir;
        this.partitions = partitions;
        this.kafka = kafka;
        this.registry = registry;
        this.admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()));
    }

    static BenchCluster start() throws Exception {
        return start(PARTITIONS);
    }

    /** A broker and registry whose topics get {@code partitions} partitions. */
    static BenchCluster start(int partitions) throws Exception {
        Path dir = Files.createTempDirectory("reflex-bench");
        System.err.println("starting a broker and a schema registry...");
        EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"), 0, 0, Duration.ofSeconds(60));
        ApicurioRegistry registry =
                ApicurioRegistry.start(dir.resolve("registry"), 0, Optional.empty(), Duration.ofSeconds(120));
        return new BenchCluster(dir, partitions, kafka, registry);
    }

    String bootstrap() {
        return kafka.bootstrapServers();
    }

    void createTopics(List<TopicSpec> specs) throws Exception {
        new TopicAdmin(admin, Optional.of(partitions), Optional.empty(), 30_000).ensure(specs);
    }

    /** The i-th event of the workload: about 500 bytes, of one of 333 types, about one of 5,000 hosts. */
    static byte[] event(int i, String idPrefix) {
        return ("{\"id\":\"" + idPrefix + i + "\",\"type\":\"type-" + (i % (RULES / MATCHES)) + "\",\"subject\":\"host-"
                        + (i % 5_000) + "\",\"cpu\":97,\"pad\":\"" + "x".repeat(380) + "\"}")
                .getBytes(StandardCharsets.UTF_8);
    }

    static ProducerRecord<byte[], byte[]> record(String topic, int i, String idPrefix) {
        return ingestRecord(topic, "host-" + (i % 5_000), ContentTypes.JSON, event(i, idPrefix));
    }

    /** An ingest record as a connector writes it: keyed by subject, with its content type in a header. */
    static ProducerRecord<byte[], byte[]> ingestRecord(String topic, String key, String contentType, byte[] body) {
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), body);
        record.headers().add(new RecordHeader(ContentTypes.HEADER, contentType.getBytes(StandardCharsets.UTF_8)));
        return record;
    }

    void produceEvents(String topic, int events) {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", bootstrap(), "acks", "all", "linger.ms", 20, "batch.size", 262_144),
                new ByteArraySerializer(),
                new ByteArraySerializer())) {
            for (int i = 0; i < events; i++) {
                producer.send(record(topic, i, "e-"));
            }
            producer.flush();
        }
    }

    /** Creates a fresh set of engine topics under a new prefix, with the workload's rules published. */
    TopicNames engineTopics() throws Exception {
        return engineTopics(rulesYaml());
    }

    /** Creates a fresh set of engine topics under a new prefix, with {@code rules} (YAML) published. */
    TopicNames engineTopics(String rules) throws Exception {
        String prefix = "b" + UUID.randomUUID().toString().substring(0, 6) + ".";
        TopicNames names = new TopicNames(prefix);
        List<TopicSpec> specs = new ArrayList<>(names.fixed());
        specs.add(new TopicSpec(names.actions(SYSTEM), false));
        specs.add(new TopicSpec(names.ingest("bench"), false));
        createTopics(specs);
        publishRules(bootstrap(), registry.url(), names, rules);
        return names;
    }

    /** The bytes a topic holds on the broker's disk, all partitions. */
    long topicBytes(String topic) throws Exception {
        List<Integer> brokers =
                admin.describeCluster().nodes().get().stream().map(Node::id).toList();
        long bytes = 0;
        for (var dirs : admin.describeLogDirs(brokers).allDescriptions().get().values()) {
            for (var dir : dirs.values()) {
                for (var replica : dir.replicaInfos().entrySet()) {
                    if (replica.getKey().topic().equals(topic)) {
                        bytes += replica.getValue().size();
                    }
                }
            }
        }
        return bytes;
    }

    /** The workload's rules as one YAML text: rule-i listens to type-(i / 3) and fires when cpu > 90 and no freeze is on. */
    static String rulesYaml() {
        return rulesYaml(0);
    }

    /**
     * The workload's rules; with {@code correlationEvery} n > 0, every n-th rule is a correlation rule
     * ({@code count: {atLeast: 5, within: 1h}} per subject) with the same trigger and action.
     */
    static String rulesYaml(int correlationEvery) {
        StringBuilder yaml = new StringBuilder();
        for (int i = 0; i < RULES; i++) {
            yaml.append("id: rule-")
                    .append(i)
                    .append("\nwhen:\n  source: bench\n  type: type-")
                    .append(i / MATCHES)
                    .append("\n  condition: event.data.cpu > 90 && registers['freeze'] != 'on'\n");
            if (correlationEvery > 0 && i % correlationEvery == 0) {
                yaml.append("correlate:\n  count: {atLeast: 5, within: 1h}\n");
            }
            yaml.append("then:\n  - system: ")
                    .append(SYSTEM)
                    .append("\n    action: scale-out\n    params: {host: \"${event.subject}\"}\n---\n");
        }
        return yaml.toString();
    }

    /** Publishes the rules of a YAML text to the rules topic, as {@code reflex rules apply} would (no systems, no deletions). */
    static void publishRules(String bootstrap, String registryUrl, TopicNames names, String yaml) {
        RuleFiles.Loaded loaded = RuleFiles.parse("bench.yaml", yaml);
        if (!loaded.problems().isEmpty()) {
            throw new IllegalArgumentException("bad benchmark rules: " + loaded.problems());
        }
        ReflexSerdes serdes = new ReflexSerdes(new SchemaRegistryClient(registryUrl), true);
        // not idempotent: a run once saw this producer's sequence refused by the busy broker
        // (OutOfOrderSequenceException)
        // and retried for minutes; a rule written twice is harmless on a compacted topic, a rule missing is not
        try (KafkaProducer<String, Rule> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", bootstrap, "acks", "all", "enable.idempotence", false),
                new StringSerializer(),
                serdes.value(Rule.class).serializer())) {
            List<Future<?>> sent = new ArrayList<>();
            for (Rule rule : loaded.rules()) {
                sent.add(producer.send(new ProducerRecord<>(names.rules(), rule.getId(), rule)));
            }
            producer.flush();
            for (Future<?> future : sent) {
                future.get(60, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            throw new IllegalStateException("the benchmark's rules were not all published: " + e, e);
        }
    }

    Map<String, Object> engineSettings(TopicNames names, String guarantee, long commitIntervalMs) {
        return engineSettings(names, guarantee, commitIntervalMs, EngineThroughput.DEFAULT_PARTITIONING);
    }

    Map<String, Object> engineSettings(TopicNames names, String guarantee, long commitIntervalMs, String partitioning) {
        Map<String, Object> settings = new HashMap<>();
        settings.put(EngineConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        settings.put(EngineConfig.SCHEMA_REGISTRY_URL_CONFIG, registry.url());
        settings.put(EngineConfig.TOPIC_PREFIX_CONFIG, names.prefix());
        settings.put(EngineConfig.APPLICATION_ID_CONFIG, names.prefix() + "engine");
        settings.put(EngineConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
        settings.put(EngineConfig.COMMIT_INTERVAL_MS_CONFIG, commitIntervalMs);
        settings.put(EngineConfig.STATE_DIR_CONFIG, dir.resolve(names.prefix()).toString());
        settings.put("consumer.auto.offset.reset", "earliest");
        settings.put(EngineConfig.EVALUATE_PARTITIONING_CONFIG, partitioning);
        return settings;
    }

    /** The topics the engine consumes events from: its ingest topic, and reflex.events unless it evaluates at ingest. */
    static List<String> engineInputs(TopicNames names, String ingest, String partitioning) {
        return partitioning.equals("ingest") ? List.of(ingest) : List.of(ingest, names.events());
    }

    /** Copies one topic into another with a throwaway pass-through application, then returns. */
    void copy(String from, String to) throws Exception {
        String app = "bench-copy-" + UUID.randomUUID();
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(from, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
                .to(to, Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, app);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        props.put(StreamsConfig.STATE_DIR_CONFIG, dir.resolve(app).toString());
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        props.put("consumer.auto.offset.reset", "earliest");
        try (KafkaStreams streams = new KafkaStreams(builder.build(), props)) {
            streams.start();
            awaitConsumed(app, List.of(from));
        }
    }

    /** Waits until the group's committed offsets reach the end of every partition of {@code topics}. */
    void awaitConsumed(String group, List<String> topics) throws Exception {
        awaitConsumed(admin, group, topics, Duration.ofMinutes(30));
    }

    /** The end offset of every partition of {@code topics} (transaction markers included). */
    static Map<TopicPartition, Long> endOffsets(Admin admin, List<String> topics) throws Exception {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (String topic : topics) {
            admin.describeTopics(List.of(topic))
                    .allTopicNames()
                    .get()
                    .get(topic)
                    .partitions()
                    .forEach(p -> latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
        }
        return admin.listOffsets(latest).all().get().entrySet().stream()
                .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
    }

    /** Records of {@code topics} the group has not committed yet (transaction markers count as records). */
    static long lag(Admin admin, String group, List<String> topics) throws Exception {
        Map<TopicPartition, Long> ends = endOffsets(admin, topics);
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata()
                .get();
        long lag = 0;
        for (Map.Entry<TopicPartition, Long> end : ends.entrySet()) {
            OffsetAndMetadata c = committed.get(end.getKey());
            lag += Math.max(0, end.getValue() - (c == null ? 0 : c.offset()));
        }
        return lag;
    }

    static void awaitConsumed(Admin admin, String group, List<String> topics, Duration timeout) throws Exception {
        awaitConsumed(admin, group, topics, timeout, topics.get(0), 1.0, () -> {});
    }

    /**
     * Waits until the group's committed offsets reach the end of every partition of {@code topics}; returns when (by
     * {@link System#nanoTime()}) its committed offsets on {@code measured} first covered {@code fraction} of that topic,
     * having run {@code onReached} then.
     */
    long awaitConsumed(String group, List<String> topics, String measured, double fraction, Runnable onReached)
            throws Exception {
        return awaitConsumed(admin, group, topics, Duration.ofMinutes(30), measured, fraction, onReached);
    }

    private static long awaitConsumed(
            Admin admin,
            String group,
            List<String> topics,
            Duration timeout,
            String measured,
            double fraction,
            Runnable onReached)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        long reached = -1;
        while (System.nanoTime() < deadline) {
            Map<TopicPartition, Long> ends = endOffsets(admin, topics);
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata()
                    .get();
            long now = System.nanoTime();
            if (reached < 0) {
                long end = 0;
                long done = 0;
                for (Map.Entry<TopicPartition, Long> e : ends.entrySet()) {
                    if (e.getKey().topic().equals(measured)) {
                        end += e.getValue();
                        OffsetAndMetadata c = committed.get(e.getKey());
                        done += c == null ? 0 : Math.min(c.offset(), e.getValue());
                    }
                }
                if (end > 0 && done >= fraction * end) {
                    reached = now;
                    onReached.run();
                }
            }
            boolean done = ends.entrySet().stream().allMatch(e -> {
                OffsetAndMetadata c = committed.get(e.getKey());
                return e.getValue() == 0 || c != null && c.offset() >= e.getValue();
            });
            if (done && !committed.isEmpty()) {
                return reached < 0 ? now : reached;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException(group + " did not catch up within " + timeout);
    }

    @Override
    public void close() {
        admin.close();
        registry.close();
        kafka.close();
        // a run of a million events leaves gigabytes of logs and state behind
        try {
            deleteTree(dir);
        } catch (Exception e) {
            System.err.println("could not delete " + dir + ": " + e);
        }
    }

    static void deleteTree(Path dir) throws Exception {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
