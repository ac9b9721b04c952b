package dev.reflex.connectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.reflex.embedded.testing.TestServices;

class WebhookConnectorTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static WebhookConnector open;
    private static WebhookConnector guarded;
    private static String prefix;

    @BeforeAll
    static void start() {
        prefix = "wh" + UUID.randomUUID().toString().substring(0, 8) + ".";
        open = WebhookConnector.start(new WebhookConfig(settings(Map.of(WebhookConfig.MAX_BODY_BYTES_CONFIG, 4096))));
        guarded = WebhookConnector.start(new WebhookConfig(settings(Map.of(WebhookConfig.TOKEN_CONFIG, "s3cret"))));
    }

    @AfterAll
    static void stop() {
        open.close();
        guarded.close();
    }

    private static Map<String, Object> settings(Map<String, Object> extra) {
        Map<String, Object> s = new HashMap<>();
        s.put(WebhookConfig.BOOTSTRAP_SERVERS_CONFIG, TestServices.kafka().bootstrapServers());
        s.put(WebhookConfig.TOPIC_PREFIX_CONFIG, prefix);
        s.put(WebhookConfig.HTTP_PORT_CONFIG, 0);
        s.putAll(extra);
        return s;
    }

    private static HttpResponse<String> post(WebhookConnector connector, String path, String contentType, String body,
                                             Map<String, String> headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + connector.port() + path))
            .timeout(Duration.ofSeconds(30))
            .POST(HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        headers.forEach(request::header);
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static ConsumerRecord<byte[], byte[]> recordAt(String topic, long offset) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                "bootstrap.servers", TestServices.kafka().bootstrapServers(), "isolation.level", "read_committed"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seek(tp, offset);
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    return r;
                }
            }
            throw new AssertionError("no record at " + topic + "@" + offset);
        }
    }

    @Test
    void aJsonEventIsAcceptedOnlyOnceKafkaHasItAndLandsOnTheSourcesIngestTopic() throws Exception {
        HttpResponse<String> response = post(open, "/events/monitoring", "application/json",
            "{\"type\":\"cpu.high\",\"subject\":\"web-1\",\"cpu\":97}", Map.of());
        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(response.body()).contains("\"topic\":\"" + prefix + "ingest.monitoring\"");
        long offset = Long.parseLong(response.body().replaceAll(".*\"offset\":(\\d+).*", "$1"));
        ConsumerRecord<byte[], byte[]> record = recordAt(prefix + "ingest.monitoring", offset);
        assertThat(new String(record.value(), StandardCharsets.UTF_8)).contains("\"cpu\":97");
        assertThat(new String(record.key(), StandardCharsets.UTF_8)).isEqualTo("web-1");
        assertThat(new String(record.headers().lastHeader("content-type").value(), StandardCharsets.UTF_8)).isEqualTo("application/json");
    }

    @Test
    void cloudEventsBinaryModeHeadersBecomeCeKafkaHeaders() throws Exception {
        HttpResponse<String> response = post(open, "/events/ci", "application/json", "{\"v\":1}",
            Map.of("ce-specversion", "1.0", "ce-id", "x-1", "ce-type", "build.done", "ce-source", "/ci"));
        assertThat(response.statusCode()).isEqualTo(202);
        long offset = Long.parseLong(response.body().replaceAll(".*\"offset\":(\\d+).*", "$1"));
        ConsumerRecord<byte[], byte[]> record = recordAt(prefix + "ingest.ci", offset);
        assertThat(new String(record.headers().lastHeader("ce_id").value(), StandardCharsets.UTF_8)).isEqualTo("x-1");
        assertThat(new String(record.headers().lastHeader("ce_type").value(), StandardCharsets.UTF_8)).isEqualTo("build.done");
    }

    @Test
    void badRequestsAreRefusedWithAReason() throws Exception {
        HttpResponse<String> badJson = post(open, "/events/monitoring", "application/json", "{oops", Map.of());
        assertThat(badJson.statusCode()).isEqualTo(400);
        assertThat(badJson.body()).contains("invalid JSON");
        assertThat(post(open, "/events/monitoring", "application/json", "[1]", Map.of()).body()).contains("expected a JSON object");
        HttpResponse<String> text = post(open, "/events/monitoring", "text/plain", "hi", Map.of());
        assertThat(text.statusCode()).isEqualTo(415);
        assertThat(post(open, "/events/bad%20name", "application/json", "{}", Map.of()).statusCode()).isEqualTo(400);
        HttpResponse<String> big = post(open, "/events/monitoring", "application/json", "{\"p\":\"" + "x".repeat(5000) + "\"}", Map.of());
        assertThat(big.statusCode()).isEqualTo(413);
    }

    @Test
    void aTokenIsRequiredWhenConfiguredAndComparedExactly() throws Exception {
        assertThat(post(guarded, "/events/m", "application/json", "{}", Map.of()).statusCode()).isEqualTo(401);
        assertThat(post(guarded, "/events/m", "application/json", "{}", Map.of("Authorization", "Bearer s3cre")).statusCode()).isEqualTo(401);
        assertThat(post(guarded, "/events/m", "application/json", "{\"type\":\"t\"}", Map.of("Authorization", "Bearer s3cret")).statusCode())
            .isEqualTo(202);
    }

    @Test
    void listeningBeyondLoopbackWithoutATokenIsRefused() {
        assertThatThrownBy(() -> new WebhookConfig(Map.of(WebhookConfig.HTTP_HOST_CONFIG, "0.0.0.0")))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining("set webhook.token");
    }

    @Test
    void aTakenPortIsReportedInOneLine() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            assertThatThrownBy(() -> WebhookConnector.start(new WebhookConfig(settings(Map.of(WebhookConfig.HTTP_PORT_CONFIG, taken.getLocalPort())))))
                .isInstanceOf(WebhookConnector.PortInUseException.class)
                .hasMessage("port " + taken.getLocalPort() + " (webhook connector) is already in use; stop whatever holds it or choose another port");
        }
    }
}
