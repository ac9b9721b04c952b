package dev.reflex.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.reflex.embedded.testing.TestServices;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.TopicSpec;

/**
 * Two engine instances in one group: each API answers for every key, asking the instance that owns it (passing the
 * API's token on), and counts what it does on /metrics.
 */
@Tag("integration")
class EngineApiRoutingTest {
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String TOKEN = "api-" + UUID.randomUUID();
    private final List<AutoCloseable> started = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (int i = started.size() - 1; i >= 0; i--) {
            started.get(i).close();
        }
    }

    @Test
    void registersAreServedByTheirOwnerAndDecisionsByWhicheverInstanceKeepsThem(@TempDir Path dir) throws Exception {
        String bootstrap = TestServices.kafka().bootstrapServers();
        TopicNames names = new TopicNames("ro" + UUID.randomUUID().toString().substring(0, 8) + ".");
        TestEngines.topicsAndRule(names, dir, """
                id: remember-last
                when:
                  source: k8s
                then:
                  - set: last.${event.subject}
                    value: ${event.id}
                """, new TopicSpec(names.ingest("k8s"), false));
        List<EngineProcess> apis = new ArrayList<>();
        List<Engine> engines = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Map<String, Object> settings = TestEngines.settings(names, dir.resolve("state-" + i));
            settings.put(EngineConfig.INSTANCE_ID_CONFIG, "engine-" + i);
            settings.put(EngineConfig.API_PORT_CONFIG, 0);
            settings.put(EngineConfig.API_TOKEN_CONFIG, TOKEN);
            settings.put("consumer.auto.offset.reset", "earliest");
            EngineProcess process = EngineProcess.start(settings);
            started.add(process);
            apis.add(process);
            engines.add(process.engine());
        }
        // both in the group, and the group settled, before asking who owns what
        long settle = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (!(engines.stream().allMatch(e -> e.state() == KafkaStreams.State.RUNNING)
                && engines.get(0).instances().size() == 2
                && engines.get(1).instances().size() == 2)) {
            assertThat(System.nanoTime())
                    .as("both engines running in one group")
                    .isLessThan(settle);
            Thread.sleep(200);
        }
        TestEngines.produceJson(names.ingest("k8s"), 40, "pod.oom");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", bootstrap), new ByteArraySerializer(), new ByteArraySerializer())) {
            // one unreadable record, for the dead-letter meter
            producer.send(
                    new ProducerRecord<>(names.ingest("k8s"), "not json at all".getBytes(StandardCharsets.UTF_8)));
        }
        // every register, asked of the first instance, is answered by its owner, and both instances own some
        Set<String> servers = new HashSet<>();
        for (int i = 0; i < 40; i++) {
            JsonNode register = awaitJson(apis.get(0).apiUrl().orElseThrow() + "/api/registers/last.pod-" + i);
            assertThat(register.get("value").asText()).isEqualTo("ev-" + i);
            assertThat(register.get("servedBy").asText()).endsWith("(owner)");
            servers.add(register.get("servedBy").asText());
        }
        assertThat(servers).as("registers owned by both instances").hasSize(2);
        // every decision, asked of the first instance, is found, on whichever instance made it
        Set<String> deciders = new HashSet<>();
        for (int i = 0; i < 40; i++) {
            JsonNode decision = awaitJson(apis.get(0).apiUrl().orElseThrow() + "/api/decisions/ev-" + i);
            deciders.add(decision.get("engineInstance").asText());
        }
        assertThat(deciders).containsExactlyInAnyOrder("engine-0", "engine-1");
        assertThat(engines).allSatisfy(e -> assertThat(e.threadFailures()).isZero());

        // the timeline: each instance holds the events of its own tasks; either one answers with all of them, and with
        // any event's story, whichever instance holds it
        Set<String> listed = new HashSet<>();
        long listedBy = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        boolean partial = false;
        while (listed.size() < 40 && System.nanoTime() < listedBy) {
            listed.clear();
            JsonNode page = awaitJson(apis.get(1).apiUrl().orElseThrow() + "/api/timeline/*?limit=1000&q=pod.oom");
            partial = page.get("partial").asBoolean();
            page.get("entries").forEach(e -> {
                if (e.get("kind").asText().equals("EVENT")) {
                    listed.add(e.get("id").asText());
                }
            });
            Thread.sleep(200);
        }
        if (listed.size() < 40) {
            // say what each instance holds and how its timeline is, to tell a slow instance from a stuck one
            for (EngineProcess api : apis) {
                System.err.printf(
                        "timeline of %s: %d events held here, health %s%n",
                        api.apiUrl().orElseThrow(),
                        events(awaitJson(
                                api.apiUrl().orElseThrow() + "/api/timeline/*?limit=1000&q=pod.oom&local=true")),
                        api.timeline().map(t -> t.state().name()).orElse("none"));
            }
        }
        assertThat(listed)
                .as("all 40 events on the timeline, from both instances (answer partial: " + partial + ")")
                .hasSize(40);
        int local0 = events(
                awaitJson(apis.get(0).apiUrl().orElseThrow() + "/api/timeline/*?limit=1000&q=pod.oom&local=true"));
        int local1 = events(
                awaitJson(apis.get(1).apiUrl().orElseThrow() + "/api/timeline/*?limit=1000&q=pod.oom&local=true"));
        assertThat(local0 + local1).isEqualTo(40);
        assertThat(local0).as("each instance holds some").isPositive().isLessThan(40);
        for (int i = 0; i < 40; i++) {
            JsonNode story = awaitJson(apis.get(0).apiUrl().orElseThrow() + "/api/stories/ev-" + i);
            assertThat(story.get("event").get("subject").asText()).isEqualTo("pod-" + i);
        }
        assertThat(status(apis.get(0).apiUrl().orElseThrow() + "/api/timeline/*"))
                .as("the timeline needs the token")
                .isEqualTo(401);
        assertThat(status(apis.get(0).apiUrl().orElseThrow() + "/ui/"))
                .as("the UI's files do not: they hold no data")
                .isEqualTo(200);

        // metrics: the engine's, Kafka Streams' and the JVM's, in the Prometheus text format on the API's port
        HttpResponse<String> metrics = HTTP.send(
                HttpRequest.newBuilder(URI.create(apis.get(0).apiUrl().orElseThrow() + "/metrics"))
                        .timeout(Duration.ofSeconds(10))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body())
                .contains(
                        "reflex_engine_running 1.0",
                        "reflex_engine_rules 1.0",
                        "kafka_stream_thread_",
                        "jvm_memory_used_bytes");
        // Reflex's own series, summed over both instances: 40 events in, 40 matches of the rule, each timed
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        Map<String, Double> sums = Map.of();
        List<String> wanted = List.of(
                "reflex_events_in_total{source=\"k8s\"}",
                "reflex_decisions_total{outcome=\"matched\"}",
                "reflex_rule_matches_total{rule=\"remember-last\"}",
                "reflex_evaluation_seconds_count",
                "reflex_decision_lag_seconds_count",
                "reflex_dead_letters_total{stage=\"normalize\",topic=\"" + names.ingest("k8s") + "\"}");
        while (System.nanoTime() < deadline) {
            sums = MetricSums.of(List.of(scrape(apis.get(0)), scrape(apis.get(1))), wanted);
            if (sums.getOrDefault(wanted.get(5), 0.0) >= 1) {
                break;
            }
            Thread.sleep(200);
        }
        assertThat(sums)
                .containsEntry(wanted.get(0), 40.0)
                .containsEntry(wanted.get(1), 40.0)
                .containsEntry(wanted.get(2), 40.0)
                .containsEntry(wanted.get(3), 40.0)
                .containsEntry(wanted.get(4), 40.0)
                .containsEntry(wanted.get(5), 1.0);
        assertThat(scrape(apis.get(0)))
                .contains("reflex_evaluation_seconds_bucket{le=", "reflex_decision_lag_seconds_bucket{le=");

        // the data routes need the token, on either instance; health and metrics do not
        String first = apis.get(0).apiUrl().orElseThrow();
        assertThat(status(first + "/api/rules")).isEqualTo(401);
        assertThat(status(first + "/api/registers/last.pod-1")).isEqualTo(401);
        assertThat(HTTP.send(
                                HttpRequest.newBuilder(URI.create(first + "/api/decisions/ev-1"))
                                        .header("Authorization", "Bearer wrong")
                                        .timeout(Duration.ofSeconds(10))
                                        .GET()
                                        .build(),
                                HttpResponse.BodyHandlers.ofString())
                        .statusCode())
                .isEqualTo(401);
        assertThat(EngineApiClient.decision(first, TOKEN, "ev-1")).isPresent();
        Assertions.assertThatThrownBy(() -> EngineApiClient.decision(first, null, "ev-1"))
                .isInstanceOf(EngineApiClient.Unauthorized.class)
                .hasMessageContaining("--engine-token");

        // health: live and ready while running; a stopped engine is neither
        assertThat(status(apis.get(1).apiUrl().orElseThrow() + "/api/health/live"))
                .isEqualTo(200);
        assertThat(status(first + "/metrics")).isEqualTo(200);
        assertThat(status(apis.get(1).apiUrl().orElseThrow() + "/api/health/ready"))
                .isEqualTo(200);
        engines.get(1).close();
        assertThat(status(apis.get(1).apiUrl().orElseThrow() + "/api/health/live"))
                .isEqualTo(503);
        assertThat(status(apis.get(1).apiUrl().orElseThrow() + "/api/health/ready"))
                .isEqualTo(503);
        assertThat(status(apis.get(1).apiUrl().orElseThrow() + "/api/health")).isEqualTo(503);
    }

    private static String scrape(EngineProcess process) throws Exception {
        return TestEngines.get(process.apiUrl().orElseThrow() + "/metrics").body();
    }

    private static int events(JsonNode page) {
        int n = 0;
        for (JsonNode e : page.get("entries")) {
            n += e.get("kind").asText().equals("EVENT") ? 1 : 0;
        }
        return n;
    }

    private static int status(String url) throws Exception {
        return TestEngines.get(url).statusCode();
    }

    /** GETs until 200 (the engines may still be rebalancing or processing), for at most 60 s. */
    private static JsonNode awaitJson(String url) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        HttpResponse<String> response = null;
        while (System.nanoTime() < deadline) {
            response = HTTP.send(
                    HttpRequest.newBuilder(URI.create(url))
                            .header("Authorization", "Bearer " + TOKEN)
                            .timeout(Duration.ofSeconds(10))
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 200) {
                return new ObjectMapper().readTree(response.body());
            }
            Thread.sleep(200);
        }
        throw new AssertionError(
                url + " answered " + (response == null ? "nothing" : response.statusCode() + " " + response.body()));
    }
}
