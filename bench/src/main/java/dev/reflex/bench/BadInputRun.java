package dev.reflex.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.reflex.engine.Engine;
import dev.reflex.engine.EngineConfig;
import dev.reflex.schemas.ContentTypes;
import dev.reflex.schemas.DeadLetter;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.RawEvent;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.serde.ReflexSerdes;

/**
 * Malformed records interleaved with valid ones on an ingest topic, while the engine runs: invalid JSON, wrong field
 * types, invalid UTF-8, 10 MB bodies, Avro with an unknown schema id, truncated Avro, missing required fields and
 * the 25 invalid CloudEvents of the conformance cases. Every bad record must land on the dead-letter topic with a reason, every good one must
 * get its decision, and no stream thread may fail.
 */
final class BadInputRun {
    record Bad(String kind, String contentType, byte[] body) {}

    record Report(
            int good,
            int bad,
            int deadLetters,
            int decisions,
            int threadFailures,
            Map<String, String> reasons,
            List<String> problems)
            implements FaultReport {
        @Override
        public String toString() {
            return String.format(
                            "bad input: %,d malformed records among %,d valid; %,d dead letters, %,d decisions, %d stream thread failures: %s",
                            bad,
                            good,
                            deadLetters,
                            decisions,
                            threadFailures,
                            ok()
                                    ? "no loss, every bad record dead-lettered with a reason"
                                    : problems.size() + " problems: "
                                            + problems.subList(0, Math.min(10, problems.size())))
                    + reasons.values().stream()
                            .map(r -> "\n    reason: " + (r.length() > 160 ? r.substring(0, 160) + "..." : r))
                            .collect(Collectors.joining());
        }
    }

    static Report run(FaultCluster cluster, int bad, int huge) throws Exception {
        TopicNames names = cluster.topics("ops");
        String ingest = names.ingest("bad");
        // the ingest topic accepts records up to 12 MB, so 10 MB bodies reach the engine (which refuses them)
        cluster.admin()
                .createTopics(List.of(new NewTopic(ingest, 4, (short) 1)
                        .configs(Map.of("max.message.bytes", String.valueOf(12 * 1024 * 1024)))))
                .all()
                .get();
        BenchCluster.publishRules(cluster.bootstrap(), cluster.registryUrl(), names, """
            id: every-tick
            when:
              source: bad
              type: tick
            then:
              - system: ops
                action: note
            """);
        ReflexSerdes serdes = cluster.serdes();
        List<Bad> kinds = new ArrayList<>(kinds(serdes, ingest));
        kinds.addAll(invalidCloudEvents());
        Map<String, Object> settings = cluster.engineSettings(names);
        List<String> problems = new ArrayList<>();
        int good = bad;
        try (Engine engine = Engine.start(new EngineConfig(settings));
                KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                        Map.of(
                                "bootstrap.servers",
                                cluster.bootstrap(),
                                "acks",
                                "all",
                                "linger.ms",
                                5,
                                "max.request.size",
                                12 * 1024 * 1024,
                                "buffer.memory",
                                64 * 1024 * 1024),
                        new ByteArraySerializer(),
                        new ByteArraySerializer())) {
            byte[] tenMegabytes = new byte[10 * 1024 * 1024];
            Arrays.fill(tenMegabytes, (byte) ' ');
            tenMegabytes[0] = '{';
            tenMegabytes[tenMegabytes.length - 1] = '}';
            for (int i = 0; i < bad; i++) {
                String subject = "s-" + (i % 20);
                send(
                        producer,
                        ingest,
                        subject,
                        ContentTypes.JSON,
                        ("{\"id\":\"good-" + i + "\",\"type\":\"tick\",\"subject\":\"" + subject + "\",\"n\":" + i
                                        + "}")
                                .getBytes(StandardCharsets.UTF_8));
                Bad b = i < huge ? new Bad("10 MB body", ContentTypes.JSON, tenMegabytes) : kinds.get(i % kinds.size());
                send(producer, ingest, subject, b.contentType(), b.body());
            }
            producer.flush();
            BenchCluster.awaitConsumed(
                    cluster.admin(), names.prefix() + "engine", List.of(ingest, names.events()), Duration.ofMinutes(5));
            if (engine.state() != KafkaStreams.State.RUNNING) {
                problems.add("the engine is " + engine.state() + ", not RUNNING");
            }
            if (engine.threadFailures() > 0) {
                problems.add(engine.threadFailures() + " stream thread failures");
            }
            List<ConsumerRecord<byte[], DeadLetter>> letters = TopicReader.readCommitted(
                    cluster.bootstrap(),
                    names.dlq(),
                    serdes.value(DeadLetter.class).deserializer());
            Map<String, String> reasons = new TreeMap<>();
            for (ConsumerRecord<byte[], DeadLetter> letter : letters) {
                String reason = letter.value().getReason().toString();
                if (reason.isBlank()) {
                    problems.add("a dead letter without a reason at offset "
                            + letter.value().getOffset());
                }
                reasons.putIfAbsent(reason.replaceAll("[0-9]+", "N"), reason);
            }
            if (letters.size() != bad) {
                problems.add(letters.size() + " dead letters for " + bad + " malformed records");
            }
            Set<String> decided = new HashSet<>();
            List<ConsumerRecord<byte[], Decision>> decisions = TopicReader.readCommitted(
                    cluster.bootstrap(),
                    names.decisions(),
                    serdes.value(Decision.class).deserializer());
            decisions.forEach(d -> decided.add(d.value().getEventId().toString()));
            for (int i = 0; i < good; i++) {
                if (!decided.contains("good-" + i)) {
                    problems.add("valid event good-" + i + " has no decision");
                }
            }
            if (decisions.size() != good) {
                problems.add(decisions.size() + " decisions for " + good + " valid events");
            }
            return new Report(good, bad, letters.size(), decisions.size(), engine.threadFailures(), reasons, problems);
        }
    }

    private static void send(
            KafkaProducer<byte[], byte[]> producer, String topic, String key, String contentType, byte[] body) {
        producer.send(BenchCluster.ingestRecord(topic, key, contentType, body));
    }

    static List<Bad> kinds(ReflexSerdes serdes, String topic) {
        RawEvent raw = RawEvent.newBuilder()
                .setSource("bad")
                .setContentType(ContentTypes.JSON)
                .setBody(ByteBuffer.wrap("{\"type\":\"tick\",\"id\":\"never\"}".getBytes(StandardCharsets.UTF_8)))
                .setHeaders(Map.of())
                .setReceivedAt(Instant.now())
                .build();
        byte[] avro = serdes.value(RawEvent.class).serializer().serialize(topic, raw);
        byte[] unknownId = avro.clone();
        ByteBuffer.wrap(unknownId).putInt(1, 987_654_321);
        return List.of(
                new Bad("invalid JSON", ContentTypes.JSON, "{\"id\":\"x\",\"type\":".getBytes(StandardCharsets.UTF_8)),
                new Bad(
                        "wrong field types",
                        ContentTypes.JSON,
                        "{\"id\":\"x\",\"type\":[\"tick\"],\"subject\":{}}".getBytes(StandardCharsets.UTF_8)),
                new Bad("invalid UTF-8", ContentTypes.JSON, new byte[] {
                    '{', '"', 't', 'y', 'p', 'e', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'
                }),
                new Bad("unknown schema id", ContentTypes.RAW_EVENT_AVRO, unknownId),
                new Bad("truncated Avro", ContentTypes.RAW_EVENT_AVRO, Arrays.copyOf(avro, avro.length / 2)),
                new Bad(
                        "missing type",
                        ContentTypes.JSON,
                        "{\"id\":\"x\",\"subject\":\"s\"}".getBytes(StandardCharsets.UTF_8)),
                new Bad(
                        "CloudEvent without id",
                        ContentTypes.CLOUDEVENTS_JSON,
                        "{\"specversion\":\"1.0\",\"type\":\"tick\",\"source\":\"bad\"}"
                                .getBytes(StandardCharsets.UTF_8)),
                new Bad("not JSON at all", ContentTypes.JSON, new byte[] {0, 1, 2, 3, (byte) 0xFF}));
    }

    /** The invalid CloudEvents of the conformance cases (examples/events/cloudevents/invalid.json), one kind each. */
    static List<Bad> invalidCloudEvents() throws IOException {
        Path file = Path.of("examples", "events", "cloudevents", "invalid.json");
        if (!Files.exists(file)) {
            file = Path.of("..").resolve(file);
        }
        List<Bad> cases = new ArrayList<>();
        new ObjectMapper()
                .readTree(file.toFile())
                .fields()
                .forEachRemaining(e -> cases.add(new Bad(
                        "CloudEvent: " + e.getKey(),
                        ContentTypes.CLOUDEVENTS_JSON,
                        e.getValue().toString().getBytes(StandardCharsets.UTF_8))));
        return cases;
    }
}
