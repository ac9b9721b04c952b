package dev.reflex.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.reflex.embedded.testing.TestServices;
import dev.reflex.schemas.TopicNames;

/**
 * The stall watch on a real broker: an engine that processes its input is left alone while events keep coming; once
 * its Kafka Streams client stops processing while it still reports RUNNING (paused here, as a task it cannot start
 * leaves it), the engine says which input stands still, its health says DOWN with the reason, and the process exits 1.
 */
@Tag("integration")
class StallWatchTest {
    @TempDir
    Path dir;

    private final TopicNames names =
            new TopicNames("sw" + UUID.randomUUID().toString().substring(0, 6) + ".");

    @Test
    void anInstanceThatStopsProcessingInputItOwnsStopsItselfAndSaysWhich() throws Exception {
        Map<String, Object> settings = settings();
        settings.put(EngineConfig.TIMELINE_ENABLED_CONFIG, false);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                        Map.of("bootstrap.servers", bootstrap), new ByteArraySerializer(), new ByteArraySerializer());
                EngineProcess process = EngineProcess.start(settings)) {
            Engine engine = process.engine();
            assertThat(engine.awaitRunning(Duration.ofSeconds(60))).isTrue();
            // three rounds of the watch with events coming and processed: no stall
            long until = System.nanoTime() + StallWatch.ROUND.multipliedBy(3).toNanos();
            for (int i = 0; System.nanoTime() < until; i++) {
                send(producer, i % 2, "before-" + i);
                Thread.sleep(250);
            }
            assertThat(engine.stall()).isEmpty();
            assertThat(engine.state()).isEqualTo(KafkaStreams.State.RUNNING);

            engine.streams().pause();
            send(producer, 1, "after-pause");
            long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
            while (engine.stall().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            assertThat(engine.stall())
                    .hasValueSatisfying(reason ->
                            assertThat(reason).contains(new TopicPartition(names.ingest("web"), 1).toString()));
            assertThat(engine.stall().get()).doesNotContain(new TopicPartition(names.ingest("web"), 0).toString());
            HttpResponse<String> health = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create(process.apiUrl().orElseThrow() + "/api/health/live"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(503);
            assertThat(health.body())
                    .contains("\"status\":\"DOWN\"", "input not processed", names.ingest("web") + "-1");
            assertThat(process.awaitExit()).isEqualTo(EngineProcess.EXIT_STREAMS_ERROR);
            assertThat(engine.state()).isEqualTo(KafkaStreams.State.NOT_RUNNING);
        }
    }

    @Test
    void aTimelineThatStopsProcessingItsInputStopsTheEngineToo() throws Exception {
        Map<String, Object> settings = settings();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                        Map.of("bootstrap.servers", bootstrap), new ByteArraySerializer(), new ByteArraySerializer());
                EngineProcess process = EngineProcess.start(settings)) {
            assertThat(process.awaitRunning(Duration.ofSeconds(60))).isTrue();
            Timeline timeline = process.timeline().orElseThrow();
            long running = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (timeline.state() != KafkaStreams.State.RUNNING && System.nanoTime() < running) {
                Thread.sleep(100);
            }
            send(producer, 0, "before");
            Thread.sleep(StallWatch.ROUND.toMillis());
            timeline.streams().pause();
            send(producer, 0, "after-pause");
            long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
            while (process.engine().stall().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            assertThat(process.engine().stall())
                    .hasValueSatisfying(reason -> assertThat(reason).startsWith("timeline input not processed: "));
            assertThat(process.awaitExit()).isEqualTo(EngineProcess.EXIT_STREAMS_ERROR);
        }
    }

    private final String bootstrap = TestServices.kafka().bootstrapServers();

    /** An engine with its API and a 4 s stall timeout, on an ingest topic of two partitions created here. */
    private Map<String, Object> settings() throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            admin.createTopics(List.of(new NewTopic(names.ingest("web"), 2, (short) 1)))
                    .all()
                    .get();
        }
        Map<String, Object> settings = TestEngines.settings(names, dir.resolve("state"));
        settings.put(EngineConfig.STALL_TIMEOUT_MS_CONFIG, 4_000L);
        settings.put(EngineConfig.API_PORT_CONFIG, 0);
        return settings;
    }

    private void send(KafkaProducer<byte[], byte[]> producer, int partition, String id) throws Exception {
        producer.send(new ProducerRecord<>(
                        names.ingest("web"),
                        partition,
                        id.getBytes(StandardCharsets.UTF_8),
                        ("{\"id\":\"" + id + "\",\"type\":\"tick\",\"subject\":\"" + id + "\"}")
                                .getBytes(StandardCharsets.UTF_8)))
                .get();
    }
}
