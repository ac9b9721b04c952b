package dev.reflex.dev;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.reflex.audit.publish.RulePublisher;
import dev.reflex.connectors.webhook.WebhookConfig;
import dev.reflex.connectors.webhook.WebhookConnector;
import dev.reflex.embedded.testing.TestServices;
import dev.reflex.embedded.testing.TopicRecords;
import dev.reflex.engine.Engine;
import dev.reflex.engine.EngineConfig;
import dev.reflex.engine.TestEngines;
import dev.reflex.schemas.Action;
import dev.reflex.schemas.DeadLetter;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.KafkaConnection;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.registry.SchemaRegistryClient;
import dev.reflex.schemas.serde.ReflexSerdes;

/** The engine, the webhook connector and rules on a real KRaft broker and the real registry, exactly once. */
@Tag("integration")
class EngineIntegrationTest {
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    private TopicNames names;
    private ReflexSerdes serdes;
    private String bootstrap;
    private Engine engine;
    private WebhookConnector webhook;

    @BeforeEach
    void setUp() throws Exception {
        bootstrap = TestServices.kafka().bootstrapServers();
        names = new TopicNames("it" + UUID.randomUUID().toString().substring(0, 8) + ".");
        serdes = new ReflexSerdes(
                new SchemaRegistryClient(TestServices.registry().url()), true);
        Path rules = Files.createDirectories(dir.resolve("rules"));
        Files.writeString(rules.resolve("restart.yaml"), """
            id: restart-on-oom
            when:
              source: k8s
              type: pod.oom
              condition: event.data.restarts < 3
            then:
              - system: ops
                action: restart
                params:
                  pod: ${event.subject}
            """);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            RulePublisher.apply(rules, KafkaConnection.plaintext(bootstrap), admin, names, serdes, false);
        }
        engine = startEngine();
        Map<String, Object> hook = new HashMap<>();
        hook.put(WebhookConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        hook.put(WebhookConfig.TOPIC_PREFIX_CONFIG, names.prefix());
        hook.put(WebhookConfig.HTTP_PORT_CONFIG, 0);
        webhook = WebhookConnector.start(new WebhookConfig(hook));
    }

    private Engine startEngine() throws InterruptedException {
        Engine started = Engine.start(new EngineConfig(TestEngines.settings(names, dir.resolve("state"))));
        assertThat(started.awaitRunning(Duration.ofSeconds(60)))
                .as("engine running")
                .isTrue();
        return started;
    }

    @AfterEach
    void tearDown() {
        if (webhook != null) {
            webhook.close();
        }
        if (engine != null) {
            engine.close();
        }
    }

    private int post(String source, String json) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + webhook.port() + "/events/" + source))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json))
                .build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    /** Reads a topic from the start with read_committed until {@code done} holds for what was read, or 60 s pass. */
    private <V> List<ConsumerRecord<String, V>> readUntil(
            String topic, Deserializer<V> values, Predicate<List<ConsumerRecord<String, V>>> done) {
        return TopicRecords.readUntil(bootstrap, topic, new StringDeserializer(), values, done, Duration.ofSeconds(60));
    }

    @Test
    void anEventPostedToTheWebhookBecomesAnActionVisibleToAReadCommittedConsumer() throws Exception {
        assertThat(post("k8s", "{\"id\":\"oom-1\",\"type\":\"pod.oom\",\"subject\":\"api-7f9\",\"restarts\":1}"))
                .isEqualTo(202);
        var actions = readUntil(names.actions("ops"), serdes.value(Action.class).deserializer(), r -> !r.isEmpty());
        assertThat(actions).singleElement().satisfies(r -> {
            assertThat(r.key()).isEqualTo("api-7f9");
            assertThat(r.value().getAction()).isEqualTo("restart");
            assertThat(r.value().getParams()).containsEntry("pod", "api-7f9");
            assertThat(r.value().getEventId()).isEqualTo("oom-1");
        });
    }

    @Test
    void afterARestartProcessingResumesWithoutReprocessingCommittedEvents() throws Exception {
        assertThat(post("k8s", "{\"id\":\"before\",\"type\":\"pod.oom\",\"subject\":\"a\",\"restarts\":0}"))
                .isEqualTo(202);
        readUntil(names.decisions(), serdes.value(Decision.class).deserializer(), r -> r.size() >= 1);
        engine.close();
        engine = startEngine();
        assertThat(post("k8s", "{\"id\":\"after\",\"type\":\"pod.oom\",\"subject\":\"b\",\"restarts\":0}"))
                .isEqualTo(202);

        var decisions = readUntil(
                names.decisions(),
                serdes.value(Decision.class).deserializer(),
                r -> r.stream().anyMatch(d -> d.key().equals("after")));
        assertThat(decisions).extracting(ConsumerRecord::key).containsExactly("before", "after");
        var actions = readUntil(names.actions("ops"), serdes.value(Action.class).deserializer(), r -> r.size() >= 2);
        assertThat(actions).extracting(r -> r.value().getEventId()).containsExactly("before", "after");
    }

    @Test
    void anAppliedRuleChangeReachesTheRunningEngineWithoutARestart() throws Exception {
        Files.writeString(
                dir.resolve("rules").resolve("restart.yaml"),
                Files.readString(dir.resolve("rules").resolve("restart.yaml"))
                        .replace("restarts < 3", "restarts < 10"));
        String newVersion;
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            var diff = RulePublisher.apply(
                    dir.resolve("rules"), KafkaConnection.plaintext(bootstrap), admin, names, serdes, false);
            newVersion = diff.changed().get(0).next().getVersion();
        }
        // probe with events until the engine decides with the new version; then the rule must have fired for that probe
        String decidedWithNew = null;
        for (int i = 0; i < 60 && decidedWithNew == null; i++) {
            String id = "probe-" + i;
            assertThat(post("k8s", "{\"id\":\"" + id + "\",\"type\":\"pod.oom\",\"subject\":\"p\",\"restarts\":5}"))
                    .isEqualTo(202);
            var decisions = readUntil(
                    names.decisions(),
                    serdes.value(Decision.class).deserializer(),
                    r -> r.stream().anyMatch(d -> d.key().equals(id)));
            decidedWithNew = decisions.stream()
                    .filter(d -> d.key().equals(id))
                    .filter(d -> d.value().getRules().stream()
                            .anyMatch(o -> o.getRuleVersion().equals(newVersion)))
                    .map(ConsumerRecord::key)
                    .findFirst()
                    .orElse(null);
        }
        assertThat(decidedWithNew)
                .as("a decision made with version " + newVersion)
                .isNotNull();
        String probe = decidedWithNew;
        var actions = readUntil(
                names.actions("ops"),
                serdes.value(Action.class).deserializer(),
                r -> r.stream().anyMatch(a -> a.value().getEventId().equals(probe)));
        assertThat(actions).extracting(r -> r.value().getEventId()).contains(probe);
        assertThat(actions)
                .filteredOn(r -> r.value().getEventId().equals(probe))
                .allSatisfy(r -> assertThat(r.value().getRuleVersion()).isEqualTo(newVersion));
    }

    @Test
    void unreadableRecordsAreDeadLetteredUnderExactlyOnceAndProcessingGoesOn() throws Exception {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", bootstrap), new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(
                            names.events(), "k", "{\"not\":\"avro\"}".getBytes(StandardCharsets.UTF_8)))
                    .get();
            producer.send(new ProducerRecord<>(names.ingest("k8s"), null, "{broken".getBytes(StandardCharsets.UTF_8)))
                    .get();
        }
        assertThat(post("k8s", "{\"id\":\"good\",\"type\":\"pod.oom\",\"subject\":\"c\",\"restarts\":0}"))
                .isEqualTo(202);

        var letters = readUntil(names.dlq(), serdes.value(DeadLetter.class).deserializer(), r -> r.size() >= 2);
        assertThat(letters).extracting(r -> r.value().getStage()).containsExactlyInAnyOrder("deserialize", "normalize");
        assertThat(letters)
                .extracting(r -> r.value().getTopic())
                .containsExactlyInAnyOrder(names.events(), names.ingest("k8s"));
        var actions = readUntil(names.actions("ops"), serdes.value(Action.class).deserializer(), r -> !r.isEmpty());
        assertThat(actions).extracting(r -> r.value().getEventId()).containsExactly("good");
    }
}
