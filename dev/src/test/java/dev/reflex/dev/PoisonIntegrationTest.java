package dev.reflex.dev;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.reflex.actors.ActorRunner;
import dev.reflex.actors.Execution;
import dev.reflex.actors.log.LogActor;
import dev.reflex.audit.history.HistoryReader;
import dev.reflex.audit.history.PairStats;
import dev.reflex.audit.history.ReadProgress;
import dev.reflex.audit.publish.RulePublisher;
import dev.reflex.connectors.webhook.WebhookConfig;
import dev.reflex.connectors.webhook.WebhookConnector;
import dev.reflex.embedded.testing.Garbage;
import dev.reflex.embedded.testing.TestServices;
import dev.reflex.embedded.testing.TopicRecords;
import dev.reflex.engine.Engine;
import dev.reflex.engine.EngineConfig;
import dev.reflex.engine.TestEngines;
import dev.reflex.schemas.ActionResult;
import dev.reflex.schemas.ActionStatus;
import dev.reflex.schemas.DeadLetter;
import dev.reflex.schemas.KafkaConnection;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.registry.SchemaRegistryClient;
import dev.reflex.schemas.serde.ReflexSerdes;

/**
 * Garbage on every topic a Reflex process reads, against a real engine, actors and the history reader: each bad record
 * is dead-lettered by each reader that cannot read it (or, for read-only history, skipped), and the next event is
 * decided, acted on and reported, also after the engine restarts and restores its global stores over the garbage.
 */
@Tag("integration")
class PoisonIntegrationTest {
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    static List<byte[]> garbage(int knownSchemaId) {
        return Garbage.records(knownSchemaId);
    }

    @Test
    void garbageOnEveryTopicIsDeadLetteredAndTheNextEventIsDecidedActedOnAndReported() throws Exception {
        String bootstrap = TestServices.kafka().bootstrapServers();
        TopicNames names =
                new TopicNames("poison" + UUID.randomUUID().toString().substring(0, 8) + ".");
        ReflexSerdes serdes = new ReflexSerdes(
                new SchemaRegistryClient(TestServices.registry().url()), true);
        Path rules = Files.createDirectories(dir.resolve("rules"));
        Files.writeString(rules.resolve("restart.yaml"), """
            id: restart
            when:
              source: k8s
              type: pod.oom
            then:
              - incr: oom-count
              - system: ops
                action: restart
                params:
                  pod: ${event.subject}
            """);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            RulePublisher.apply(rules, KafkaConnection.plaintext(bootstrap), admin, names, serdes, false);
        }
        int knownId = ByteBuffer.wrap(
                        serdes.value(ActionResult.class)
                                .serializer()
                                .serialize(
                                        names.actionResults(),
                                        ActionResult.newBuilder()
                                                .setActionId("x")
                                                .setSystem("ops")
                                                .setAction("a")
                                                .setTarget("t")
                                                .setStatus(ActionStatus.SKIPPED)
                                                .setAttempts(0)
                                                .setDurationMs(0)
                                                .setEventId("e")
                                                .setRuleId("r")
                                                .setFinishedAt(Instant.EPOCH)
                                                .build()),
                        1,
                        4)
                .getInt();
        List<String> poisoned = List.of(
                names.rules(),
                names.registers(),
                names.registerOps(),
                names.events(),
                names.actionResults(),
                names.actions("ops"),
                names.rulesLog(),
                names.ingest("k8s"),
                names.decisions(),
                names.correlate());
        // before the engine starts: the global stores meet the garbage while restoring
        produceGarbage(bootstrap, poisoned, knownId);

        Map<String, Object> settings = TestEngines.settings(names, dir.resolve("state"));
        settings.put(EngineConfig.INSTANCE_ID_CONFIG, "poison-test");
        List<String> executed = Collections.synchronizedList(new ArrayList<>());
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        Engine engine = Engine.start(new EngineConfig(settings));
        try (WebhookConnector webhook = webhook(bootstrap, names);
                ActorRunner actor = new ActorRunner(
                                KafkaConnection.plaintext(bootstrap),
                                names,
                                serdes,
                                "ops",
                                names.prefix() + "actor",
                                action -> {
                                    executed.add(action.getEventId());
                                    return Execution.succeeded(1, null, null, "done");
                                })
                        .start();
                LogActor log = new LogActor(
                                KafkaConnection.plaintext(bootstrap),
                                names.prefix() + "log",
                                names,
                                serdes,
                                new PrintStream(printed, true, StandardCharsets.UTF_8))
                        .start()) {
            assertThat(engine.awaitRunning(Duration.ofSeconds(60)))
                    .as("engine running over garbage")
                    .isTrue();
            assertThat(actor.awaitReady(Duration.ofSeconds(60))).isTrue();
            assertThat(post(webhook, "{\"id\":\"first\",\"type\":\"pod.oom\",\"subject\":\"api-1\"}"))
                    .isEqualTo(202);
            assertThat(results(bootstrap, names, serdes, "first")).isTrue();

            // garbage again while everything runs
            produceGarbage(bootstrap, poisoned, knownId);
            assertThat(post(webhook, "{\"id\":\"second\",\"type\":\"pod.oom\",\"subject\":\"api-2\"}"))
                    .isEqualTo(202);
            assertThat(results(bootstrap, names, serdes, "second")).isTrue();

            // a restart restores the global stores over both rounds of garbage
            engine.close();
            engine = Engine.start(new EngineConfig(settings));
            assertThat(engine.awaitRunning(Duration.ofSeconds(60)))
                    .as("engine running after a restart")
                    .isTrue();
            assertThat(post(webhook, "{\"id\":\"third\",\"type\":\"pod.oom\",\"subject\":\"api-3\"}"))
                    .isEqualTo(202);
            assertThat(results(bootstrap, names, serdes, "third")).isTrue();
            assertThat(engine.state()).isEqualTo(KafkaStreams.State.RUNNING);
            assertThat(engine.threadFailures()).isZero();
            assertThat(executed).containsExactly("first", "second", "third");
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (printed.toString(StandardCharsets.UTF_8)
                                    .lines()
                                    .filter(l -> l.startsWith("[action]"))
                                    .count()
                            < 3
                    && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(printed.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("[action]")))
                    .hasSize(3)
                    .allSatisfy(l -> assertThat(l).contains("restart"));
        } finally {
            engine.close();
        }

        int perRound = garbage(knownId).size();
        List<DeadLetter> letters = read(
                        bootstrap,
                        names.dlq(),
                        serdes.value(DeadLetter.class).deserializer(),
                        r -> false,
                        Duration.ofSeconds(10))
                .stream()
                .map(ConsumerRecord::value)
                .toList();
        Map<String, Long> byTopicAndReader = new HashMap<>();
        letters.forEach(l -> byTopicAndReader.merge(l.getTopic() + " " + l.getReader(), 1L, Long::sum));
        String engineReader = "engine poison-test";
        // the ingest topic: the empty record and the Avro-looking ones are not JSON; the JSON object has no type
        assertThat(byTopicAndReader)
                .containsEntry(names.ingest("k8s") + " " + engineReader, 2L * perRound)
                .containsEntry(names.events() + " " + engineReader, 2L * perRound)
                .containsEntry(names.registerOps() + " " + engineReader, 2L * perRound)
                .containsEntry(names.actionResults() + " " + engineReader, 2L * perRound)
                .containsEntry(names.correlate() + " " + engineReader, 2L * perRound)
                .containsEntry(names.actions("ops") + " actor ops", 2L * perRound)
                .containsEntry(names.actions("ops") + " log actor", 2L * perRound);
        // the global stores: once live, and again for every record each time they are restored (at the restart)
        assertThat(byTopicAndReader.get(names.rules() + " " + engineReader)).isGreaterThanOrEqualTo(3L * perRound);
        assertThat(byTopicAndReader.get(names.registers() + " " + engineReader)).isGreaterThanOrEqualTo(2L * perRound);
        assertThat(letters).allSatisfy(l -> {
            assertThat(l.getReason()).isNotBlank();
            assertThat(l.getOffset()).isNotNegative();
        });

        // the history readers (replay, explain, rules diff) skip what they cannot read
        try (HistoryReader history = new HistoryReader(KafkaConnection.plaintext(bootstrap), names, serdes)) {
            assertThat(history.liveRules()).containsOnlyKeys("restart");
            assertThat(history.ruleHistory()
                            .version(
                                    "restart",
                                    history.liveRules().get("restart").getVersion()))
                    .isPresent();
            PairStats stats = history.pairs(null, null, null, (event, time, decision) -> {}, ReadProgress.NONE);
            // three pod.oom events and the three action.succeeded events their results became
            assertThat(stats.paired()).isEqualTo(6);
            assertThat(stats.unreadable()).isEqualTo(4L * perRound);
        }
    }

    private static void produceGarbage(String bootstrap, List<String> topics, int knownId) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", bootstrap), new ByteArraySerializer(), new ByteArraySerializer())) {
            for (String topic : topics) {
                for (byte[] bad : garbage(knownId)) {
                    producer.send(new ProducerRecord<>(topic, "bad".getBytes(StandardCharsets.UTF_8), bad))
                            .get();
                }
            }
        }
    }

    private static WebhookConnector webhook(String bootstrap, TopicNames names) {
        Map<String, Object> hook = new HashMap<>();
        hook.put(WebhookConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        hook.put(WebhookConfig.TOPIC_PREFIX_CONFIG, names.prefix());
        hook.put(WebhookConfig.HTTP_PORT_CONFIG, 0);
        return WebhookConnector.start(new WebhookConfig(hook));
    }

    private static int post(WebhookConnector webhook, String json) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + webhook.port() + "/events/k8s"))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json))
                .build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    /** Whether a SUCCEEDED result for {@code eventId} appears within 60 s. */
    private static boolean results(String bootstrap, TopicNames names, ReflexSerdes serdes, String eventId) {
        Deserializer<ActionResult> values = serdes.value(ActionResult.class).deserializer();
        Deserializer<ActionResult> tolerant = (topic, bytes) -> {
            try {
                return values.deserialize(topic, bytes);
            } catch (SerializationException e) {
                return null;
            }
        };
        return read(
                        bootstrap,
                        names.actionResults(),
                        tolerant,
                        r -> r.stream()
                                .anyMatch(x -> x.value() != null
                                        && x.value().getEventId().equals(eventId)
                                        && x.value().getStatus() == ActionStatus.SUCCEEDED),
                        Duration.ofSeconds(60))
                .stream()
                .anyMatch(x -> x.value() != null && x.value().getEventId().equals(eventId));
    }

    private static <V> List<ConsumerRecord<String, V>> read(
            String bootstrap,
            String topic,
            Deserializer<V> values,
            Predicate<List<ConsumerRecord<String, V>>> done,
            Duration limit) {
        return TopicRecords.readUntil(bootstrap, topic, new StringDeserializer(), values, done, limit);
    }
}
