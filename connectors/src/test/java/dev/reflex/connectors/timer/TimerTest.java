package dev.reflex.connectors.timer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import dev.reflex.embedded.testing.TestServices;
import dev.reflex.schemas.KafkaConnection;
import dev.reflex.schemas.TopicNames;

class TimerTest {

    @Test
    void cronExpressionsFireAtTheRightInstants() {
        Instant t = Instant.parse("2026-03-01T10:07:30Z");
        assertThat(Schedule.parse("*/15 * * * *").next(t)).isEqualTo(Instant.parse("2026-03-01T10:15:00Z"));
        assertThat(Schedule.parse("0 9 * * 1-5").next(t)).isEqualTo(Instant.parse("2026-03-02T09:00:00Z"));
        assertThat(Schedule.parse("30 2 1 * *").next(t)).isEqualTo(Instant.parse("2026-04-01T02:30:00Z"));
        assertThat(Schedule.parse("0 0 * * 0").next(t))
                .as("1 March 2026 is a Sunday")
                .isEqualTo(Instant.parse("2026-03-08T00:00:00Z"));
        assertThat(Schedule.parse("5,10 10 * * *").next(t)).isEqualTo(Instant.parse("2026-03-01T10:10:00Z"));
        assertThat(Schedule.parse("@every 30s").next(t)).isEqualTo(Instant.parse("2026-03-01T10:08:00Z"));
        assertThat(Schedule.parse("@every 1h").next(Instant.parse("2026-03-01T10:00:00Z")))
                .isEqualTo(Instant.parse("2026-03-01T11:00:00Z"));
    }

    @Test
    void badSchedulesAreRefusedWithTheReason() {
        assertThatThrownBy(() -> Schedule.parse("61 * * * *")).hasMessageContaining("61 is outside 0-59");
        assertThatThrownBy(() -> Schedule.parse("* * *")).hasMessageContaining("neither a 5-field cron expression");
        assertThatThrownBy(() -> Schedule.parse("@every 0s")).hasMessageContaining("more than zero");
    }

    @Test
    @Tag("integration")
    void replicasEmitTheSameIdForTheSameTick() throws Exception {
        String bootstrap = TestServices.kafka().bootstrapServers();
        TopicNames names = new TopicNames("tm" + UUID.randomUUID().toString().substring(0, 8) + ".");
        List<String> ids = new ArrayList<>();
        try (TimerConnector a = new TimerConnector(
                                KafkaConnection.plaintext(bootstrap),
                                names,
                                Map.of("heartbeat", Schedule.parse("@every 1s")))
                        .start();
                TimerConnector b = new TimerConnector(
                                KafkaConnection.plaintext(bootstrap),
                                names,
                                Map.of("heartbeat", Schedule.parse("@every 1s")))
                        .start();
                KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
                        Map.of(
                                "bootstrap.servers",
                                bootstrap,
                                "group.id",
                                "timer-test",
                                "auto.offset.reset",
                                "earliest"),
                        new ByteArrayDeserializer(),
                        new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(names.ingest("timer")));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (ids.size() < 6 && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    String body = new String(r.value(), StandardCharsets.UTF_8);
                    assertThat(body).contains("\"type\":\"timer.tick\"", "\"subject\":\"heartbeat\"");
                    ids.add(body.replaceAll(".*\"id\":\"([^\"]+)\".*", "$1"));
                });
            }
        }
        assertThat(ids).hasSizeGreaterThanOrEqualTo(6);
        assertThat(ids)
                .allSatisfy(id -> assertThat(id).matches("timer-heartbeat-\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ"));
        // both replicas emitted each tick they both saw: ids come in pairs
        assertThat(ids.stream().distinct().count()).isLessThan(ids.size());
    }
}
