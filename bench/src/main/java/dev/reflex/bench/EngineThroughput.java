package dev.reflex.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
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
import dev.reflex.rules.RuleFiles;
import dev.reflex.schemas.Rule;
import dev.reflex.schemas.TopicAdmin;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.TopicSpec;
import dev.reflex.schemas.registry.SchemaRegistryClient;
import dev.reflex.schemas.serde.ReflexSerdes;
import dev.reflex.topology.Engine;
import dev.reflex.topology.EngineConfig;

/**
 * Events per second through (a) a pass-through Kafka Streams topology (source, mapValues, sink), the practical ceiling,
 * and (b) the Reflex engine, on the same broker and the same pre-produced events, under exactly_once_v2 and
 * at_least_once. 500-byte JSON events on 4 partitions; 1,000 rules of which each event matches 3. Each run starts
 * from the beginning of the input and ends when the application's committed offsets reach the end of its inputs.
 *
 * <p>Usage: {@code bench/run-throughput [EVENTS]} (default 200,000; the full run is 2,000,000).
 */
public final class EngineThroughput {
    private static final int PARTITIONS = 4;
    private static final int RULES = 1_000;
    private static final int MATCHES = 3;

    private EngineThroughput() {
    }

    public static void main(String[] args) throws Exception {
        int events = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        Path dir = Files.createTempDirectory("reflex-bench");
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"), 0, 0, Duration.ofSeconds(60));
             ApicurioRegistry registry = ApicurioRegistry.start(dir.resolve("registry"), 0, Optional.empty(), Duration.ofSeconds(120));
             Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            String bootstrap = kafka.bootstrapServers();
            System.err.printf("producing %,d events...%n", events);
            String input = "bench.input";
            new TopicAdmin(admin, Optional.of(PARTITIONS), Optional.empty(), 30_000).ensure(List.of(new TopicSpec(input, false),
                new TopicSpec("bench.passthrough.out", false)));
            produceEvents(bootstrap, input, events);

            Map<String, double[]> results = new java.util.LinkedHashMap<>();
            for (String guarantee : List.of(StreamsConfig.EXACTLY_ONCE_V2, StreamsConfig.AT_LEAST_ONCE)) {
                double passThrough = passThrough(bootstrap, admin, input, guarantee, dir, events);
                double reflex = reflex(bootstrap, registry.url(), admin, input, guarantee, dir, events);
                results.put(guarantee, new double[] {passThrough, reflex});
            }
            System.out.printf("%n| guarantee | pass-through events/s | Reflex events/s | Reflex / pass-through |%n|---|---|---|---|%n");
            results.forEach((g, r) -> System.out.printf("| %s | %,.0f | %,.0f | %.0f%% |%n", g, r[0], r[1], 100 * r[1] / r[0]));
            System.out.printf("%n%,d events of 500 bytes, %d partitions, %,d rules, %d matching per event; 1 stream thread.%n",
                events, PARTITIONS, RULES, MATCHES);
        }
    }

    private static void produceEvents(String bootstrap, String topic, int events) throws Exception {
        int types = RULES / MATCHES;
        String pad = "x".repeat(380);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap, "acks", "all",
                "linger.ms", 20, "batch.size", 262_144, "compression.type", "none"), new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < events; i++) {
                String json = "{\"id\":\"e-" + i + "\",\"type\":\"type-" + (i % types) + "\",\"subject\":\"host-" + (i % 5_000)
                    + "\",\"cpu\":97,\"pad\":\"" + pad + "\"}";
                ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, ("host-" + (i % 5_000)).getBytes(StandardCharsets.UTF_8),
                    json.getBytes(StandardCharsets.UTF_8));
                record.headers().add(new RecordHeader("content-type", "application/json".getBytes(StandardCharsets.UTF_8)));
                producer.send(record);
            }
            producer.flush();
        }
    }

    private static double passThrough(String bootstrap, Admin admin, String input, String guarantee, Path dir, int events) throws Exception {
        String app = "bench-passthrough-" + UUID.randomUUID();
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(input, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray())).mapValues(v -> v)
            .to("bench.passthrough.out", Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, app);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
        // the engine's default for both guarantees; at_least_once would otherwise commit only every 30 s
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        props.put(StreamsConfig.STATE_DIR_CONFIG, dir.resolve(app).toString());
        props.put("consumer.auto.offset.reset", "earliest");
        try (KafkaStreams streams = new KafkaStreams(builder.build(), props)) {
            long start = System.nanoTime();
            streams.start();
            awaitConsumed(admin, app, List.of(input));
            double rate = events / ((System.nanoTime() - start) / 1e9);
            System.err.printf("pass-through %s: %,.0f events/s%n", guarantee, rate);
            return rate;
        }
    }

    private static double reflex(String bootstrap, String registryUrl, Admin admin, String input, String guarantee, Path dir,
                                 int events) throws Exception {
        String prefix = "b" + UUID.randomUUID().toString().substring(0, 6) + ".";
        TopicNames names = new TopicNames(prefix);
        List<TopicSpec> specs = new ArrayList<>(names.fixed());
        specs.add(new TopicSpec(names.actions("ops"), false));
        new TopicAdmin(admin, Optional.of(PARTITIONS), Optional.empty(), 30_000).ensure(specs);
        publishRules(bootstrap, names, new ReflexSerdes(new SchemaRegistryClient(registryUrl), true));
        // the engine reads the same pre-produced events, renamed into its own ingest topic by a copy that is not timed
        String ingest = names.ingest("bench");
        new TopicAdmin(admin, Optional.of(PARTITIONS), Optional.empty(), 30_000).ensure(List.of(new TopicSpec(ingest, false)));
        copy(bootstrap, admin, input, ingest, dir);

        Map<String, Object> settings = new HashMap<>();
        settings.put(EngineConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        settings.put(EngineConfig.SCHEMA_REGISTRY_URL_CONFIG, registryUrl);
        settings.put(EngineConfig.TOPIC_PREFIX_CONFIG, prefix);
        settings.put(EngineConfig.APPLICATION_ID_CONFIG, prefix + "engine");
        settings.put(EngineConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
        settings.put(EngineConfig.STATE_DIR_CONFIG, dir.resolve(prefix).toString());
        settings.put("consumer.auto.offset.reset", "earliest");
        long start = System.nanoTime();
        try (Engine engine = Engine.start(new EngineConfig(settings))) {
            awaitConsumed(admin, prefix + "engine", List.of(ingest, names.events()));
            double rate = events / ((System.nanoTime() - start) / 1e9);
            System.err.printf("reflex %s: %,.0f events/s%n", guarantee, rate);
            return rate;
        }
    }

    private static void publishRules(String bootstrap, TopicNames names, ReflexSerdes serdes) throws Exception {
        StringBuilder yaml = new StringBuilder();
        for (int i = 0; i < RULES; i++) {
            yaml.append("id: rule-").append(i).append("\nwhen:\n  source: bench\n  type: type-").append(i / MATCHES)
                .append("\n  condition: event.data.cpu > 90 && registers['freeze'] != 'on'\nthen:\n  - system: ops\n    action: scale-out\n")
                .append("    params: {host: \"${event.subject}\"}\n---\n");
        }
        RuleFiles.Loaded loaded = RuleFiles.parse("bench.yaml", yaml.toString());
        try (KafkaProducer<String, Rule> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap),
                new StringSerializer(), serdes.value(Rule.class).serializer())) {
            for (Rule rule : loaded.rules()) {
                producer.send(new ProducerRecord<>(names.rules(), rule.getId(), rule));
            }
            producer.flush();
        }
    }

    /** Copies the input into an engine's ingest topic with a throwaway pass-through app, before timing starts. */
    private static void copy(String bootstrap, Admin admin, String from, String to, Path dir) throws Exception {
        String app = "bench-copy-" + UUID.randomUUID();
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(from, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray())).to(to, Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, app);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(StreamsConfig.STATE_DIR_CONFIG, dir.resolve(app).toString());
        props.put("consumer.auto.offset.reset", "earliest");
        try (KafkaStreams streams = new KafkaStreams(builder.build(), props)) {
            streams.start();
            awaitConsumed(admin, app, List.of(from));
        }
    }

    /** Waits until the group's committed offsets reach the end of every partition of {@code topics}. */
    private static void awaitConsumed(Admin admin, String group, List<String> topics) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(30);
        while (System.nanoTime() < deadline) {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (String topic : topics) {
                admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions()
                    .forEach(p -> latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
            }
            Map<TopicPartition, Long> ends = admin.listOffsets(latest).all().get().entrySet().stream()
                .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
            boolean done = ends.entrySet().stream().allMatch(e -> {
                OffsetAndMetadata c = committed.get(e.getKey());
                return e.getValue() == 0 || c != null && c.offset() >= e.getValue();
            });
            if (done && !committed.isEmpty()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException(group + " did not catch up within 30 minutes");
    }
}
