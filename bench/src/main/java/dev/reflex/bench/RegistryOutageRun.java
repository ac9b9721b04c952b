package dev.reflex.bench;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import dev.reflex.engine.Engine;
import dev.reflex.engine.EngineConfig;
import dev.reflex.schemas.ContentTypes;
import dev.reflex.schemas.DeadLetter;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.RawEvent;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.registry.SchemaRegistryClient;
import dev.reflex.schemas.serde.ReflexSerdes;

/**
 * The schema registry goes away while the engine runs and records arrive that need it: Avro RawEvents written with a
 * schema version the engine has not seen yet, interleaved with JSON events. They must be retried, not dead-lettered,
 * and all of them processed once the registry is back.
 */
final class RegistryOutageRun {
    record Report(int events, Duration outage, int deadLetters, int threadFailures, List<String> problems)
            implements FaultReport {
        @Override
        public String toString() {
            return String.format(
                    "registry outage: %,d events across a %d s outage, %d dead letters, %d stream thread failures (retried): %s",
                    events,
                    outage.toSeconds(),
                    deadLetters,
                    threadFailures,
                    ok()
                            ? "no loss, nothing dead-lettered"
                            : problems.size() + " problems: " + problems.subList(0, Math.min(10, problems.size())));
        }
    }

    static Report run(FaultCluster cluster, int events, Duration outage) throws Exception {
        TopicNames names = cluster.topics("ops");
        String ingest = names.ingest("outage");
        cluster.createTopic(ingest);
        BenchCluster.publishRules(cluster.bootstrap(), cluster.registryUrl(), names, """
            id: every-tick
            when:
              source: outage
              type: tick
            then:
              - system: ops
                action: note
            """);
        ReflexSerdes serdes = cluster.serdes();
        // a newer version of RawEvent (one more optional field), registered before the outage and never seen by the
        // engine
        Schema evolved = new Schema.Parser()
                .parse(RawEvent.getClassSchema()
                        .toString()
                        .replaceFirst(
                                "\"fields\"\\s*:\\s*\\[",
                                "\"fields\":[{\"name\":\"relay\",\"type\":[\"null\",\"string\"],\"default\":null},"));
        int evolvedId = new SchemaRegistryClient(cluster.registryUrl()).register(ingest + "-value", evolved);
        Map<String, Object> settings = cluster.engineSettings(names);
        List<String> problems = new ArrayList<>();
        Set<String> expected = new HashSet<>();
        try (Engine engine = Engine.start(new EngineConfig(settings));
                KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                        Map.of("bootstrap.servers", cluster.bootstrap(), "acks", "all"),
                        new ByteArraySerializer(),
                        new ByteArraySerializer())) {
            int warm = Math.max(1, events / 10);
            for (int i = 0; i < warm; i++) {
                expected.add(json(producer, ingest, "warm-" + i));
            }
            producer.flush();
            BenchCluster.awaitConsumed(
                    cluster.admin(), names.prefix() + "engine", List.of(ingest, names.events()), Duration.ofMinutes(2));
            System.err.println("  registry stopped");
            cluster.stopRegistry();
            long down = System.nanoTime();
            for (int i = 0; i < events; i++) {
                expected.add(
                        i % 2 == 0
                                ? json(producer, ingest, "json-" + i)
                                : avro(producer, ingest, evolved, evolvedId, "avro-" + i));
            }
            producer.flush();
            Thread.sleep(Math.max(0, outage.toMillis() - (System.nanoTime() - down) / 1_000_000));
            cluster.startRegistry();
            System.err.println("  registry started again");
            BenchCluster.awaitConsumed(
                    cluster.admin(), names.prefix() + "engine", List.of(ingest, names.events()), Duration.ofMinutes(3));
            // a stream thread that failed during the outage was replaced: the group may still be settling
            if (!engine.awaitRunning(Duration.ofSeconds(60))) {
                problems.add("the engine is " + engine.state() + ", not RUNNING, a minute after catching up");
            }
            int deadLetters = TopicReader.readCommitted(
                            cluster.bootstrap(),
                            names.dlq(),
                            serdes.value(DeadLetter.class).deserializer())
                    .size();
            if (deadLetters > 0) {
                problems.add(deadLetters + " records were dead-lettered");
            }
            Map<String, Integer> decided = new HashMap<>();
            TopicReader.readCommitted(
                            cluster.bootstrap(),
                            names.decisions(),
                            serdes.value(Decision.class).deserializer())
                    .forEach(d -> decided.merge(d.value().getEventId().toString(), 1, Integer::sum));
            for (String id : expected) {
                if (decided.getOrDefault(id, 0) != 1) {
                    problems.add("event " + id + " has " + decided.getOrDefault(id, 0) + " decisions");
                }
            }
            return new Report(expected.size(), outage, deadLetters, engine.threadFailures(), problems);
        }
    }

    private static String json(KafkaProducer<byte[], byte[]> producer, String topic, String id) {
        send(
                producer,
                topic,
                ContentTypes.JSON,
                ("{\"id\":\"" + id + "\",\"type\":\"tick\",\"subject\":\"s\"}").getBytes(StandardCharsets.UTF_8));
        return id;
    }

    private static String avro(
            KafkaProducer<byte[], byte[]> producer, String topic, Schema schema, int schemaId, String id)
            throws Exception {
        GenericRecord raw = new GenericData.Record(schema);
        raw.put("source", "outage");
        raw.put("contentType", ContentTypes.JSON);
        raw.put("headers", Map.of());
        raw.put(
                "body",
                ByteBuffer.wrap(("{\"id\":\"" + id + "\",\"type\":\"tick\",\"subject\":\"s\"}")
                        .getBytes(StandardCharsets.UTF_8)));
        raw.put("relay", "outage-run");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0);
        out.write(ByteBuffer.allocate(4).putInt(schemaId).array());
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(schema).write(raw, encoder);
        encoder.flush();
        send(producer, topic, ContentTypes.RAW_EVENT_AVRO, out.toByteArray());
        return id;
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, String topic, String contentType, byte[] body) {
        producer.send(BenchCluster.ingestRecord(topic, "s", contentType, body));
    }
}
