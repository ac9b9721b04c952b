package dev.reflex.connectors.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.reflex.admin.AdminServer;
import dev.reflex.embedded.EmbeddedKafka;
import dev.reflex.embedded.testing.TestServices;
import dev.reflex.embedded.testing.TopicRecords;

class WebhookConnectorTest {
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static WebhookConnector open;
    private static WebhookConnector guarded;
    private static String prefix;

    @BeforeAll
    static void start() {
        prefix = "wh" + UUID.randomUUID().toString().substring(0, 8) + ".";
        open = WebhookConnector.start(new WebhookConfig(settings(Map.of(WebhookConfig.MAX_BODY_BYTES_CONFIG, 4096))));
        guarded = WebhookConnector.start(new WebhookConfig(
                settings(Map.of(
                        WebhookConfig.TOKEN_CONFIG,
                        "s3cret",
                        WebhookConfig.GITHUB_SECRET_CONFIG,
                        "It's a Secret to Everybody")),
                Map.of("REFLEX_WEBHOOK_HMAC_SIGNED_SECRET", "k3y")));
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

    private static HttpResponse<String> post(
            WebhookConnector connector, String path, String contentType, String body, Map<String, String> headers)
            throws Exception {
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
        List<ConsumerRecord<byte[], byte[]>> read = TopicRecords.readFrom(
                TestServices.kafka().bootstrapServers(),
                new TopicPartition(topic, 0),
                offset,
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer(),
                TopicRecords.atLeast(1),
                Duration.ofSeconds(20));
        if (read.isEmpty()) {
            throw new AssertionError("no record at " + topic + "@" + offset);
        }
        return read.get(0);
    }

    @Test
    void aJsonEventIsAcceptedOnlyOnceKafkaHasItAndLandsOnTheSourcesIngestTopic() throws Exception {
        HttpResponse<String> response = post(
                open,
                "/events/monitoring",
                "application/json",
                "{\"type\":\"cpu.high\",\"subject\":\"web-1\",\"cpu\":97}",
                Map.of());
        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(response.body()).contains("\"topic\":\"" + prefix + "ingest.monitoring\"");
        long offset = Long.parseLong(response.body().replaceAll(".*\"offset\":(\\d+).*", "$1"));
        ConsumerRecord<byte[], byte[]> record = recordAt(prefix + "ingest.monitoring", offset);
        assertThat(new String(record.value(), StandardCharsets.UTF_8)).contains("\"cpu\":97");
        assertThat(new String(record.key(), StandardCharsets.UTF_8)).isEqualTo("web-1");
        assertThat(new String(record.headers().lastHeader("content-type").value(), StandardCharsets.UTF_8))
                .isEqualTo("application/json");
    }

    @Test
    void anArrayOfEventsIsAcceptedAsOneEventEach() throws Exception {
        HttpResponse<String> response = post(
                open,
                "/events/batch",
                "application/json",
                "[{\"type\":\"a\",\"subject\":\"s1\"},{\"type\":\"b\",\"subject\":\"s2\"}]",
                Map.of());
        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(response.body()).contains("\"accepted\":2");
        long last = Long.parseLong(response.body().replaceAll(".*\"offset\":(\\d+).*", "$1"));
        assertThat(new String(recordAt(prefix + "ingest.batch", last).value(), StandardCharsets.UTF_8))
                .isEqualTo("{\"type\":\"b\",\"subject\":\"s2\"}");
        assertThat(new String(recordAt(prefix + "ingest.batch", last - 1).key(), StandardCharsets.UTF_8))
                .isEqualTo("s1");
    }

    @Test
    void aSourceWithAnHmacSecretAcceptsOnlyCorrectlySignedRequests() throws Exception {
        String body = "{\"type\":\"deploy\"}";
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec("k3y".getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        String signature = "sha256=" + HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
        Map<String, String> auth = Map.of("Authorization", "Bearer s3cret");
        assertThat(post(guarded, "/events/signed", "application/json", body, auth)
                        .statusCode())
                .isEqualTo(401);
        assertThat(post(
                                guarded,
                                "/events/signed",
                                "application/json",
                                body,
                                Map.of("Authorization", "Bearer s3cret", "X-Signature-256", signature + "0"))
                        .statusCode())
                .isEqualTo(401);
        assertThat(post(
                                guarded,
                                "/events/signed",
                                "application/json",
                                body,
                                Map.of("Authorization", "Bearer s3cret", "X-Signature-256", signature))
                        .statusCode())
                .isEqualTo(202);
        assertThat(post(guarded, "/events/unsigned", "application/json", body, auth)
                        .statusCode())
                .as("other sources need no signature")
                .isEqualTo(202);
    }

    @Test
    void healthAndMetricsAreServed() throws Exception {
        assertThat(post(open, "/events/metered", "application/json", "{\"type\":\"t\"}", Map.of())
                        .statusCode())
                .isEqualTo(202);
        HttpResponse<String> health = HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + open.port() + "/health"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        HttpResponse<String> metrics = HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + open.port() + "/metrics"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body())
                .contains("reflex_webhook_events_accepted_total{source=\"metered\"} 1.0")
                .contains("reflex_webhook_ack_seconds_count{outcome=\"acknowledged\"}")
                .contains("reflex_webhook_requests_total{endpoint=\"/events/{source}\",status=\"202\"}")
                .contains("kafka_producer_");
    }

    @Test
    void cloudEventsBinaryModeHeadersBecomeCeKafkaHeaders() throws Exception {
        HttpResponse<String> response = post(
                open,
                "/events/ci",
                "application/json",
                "{\"v\":1}",
                Map.of("ce-specversion", "1.0", "ce-id", "x-1", "ce-type", "build.done", "ce-source", "/ci"));
        assertThat(response.statusCode()).isEqualTo(202);
        long offset = Long.parseLong(response.body().replaceAll(".*\"offset\":(\\d+).*", "$1"));
        ConsumerRecord<byte[], byte[]> record = recordAt(prefix + "ingest.ci", offset);
        assertThat(new String(record.headers().lastHeader("ce_id").value(), StandardCharsets.UTF_8))
                .isEqualTo("x-1");
        assertThat(new String(record.headers().lastHeader("ce_type").value(), StandardCharsets.UTF_8))
                .isEqualTo("build.done");
    }

    @Test
    void badRequestsAreRefusedWithAReason() throws Exception {
        HttpResponse<String> badJson = post(open, "/events/monitoring", "application/json", "{oops", Map.of());
        assertThat(badJson.statusCode()).isEqualTo(400);
        assertThat(badJson.body()).contains("invalid JSON");
        assertThat(post(open, "/events/monitoring", "application/json", "[1]", Map.of())
                        .body())
                .contains("every element of the array must be a JSON object");
        assertThat(post(open, "/events/monitoring", "application/json", "\"text\"", Map.of())
                        .body())
                .contains("expected a JSON object");
        HttpResponse<String> text = post(open, "/events/monitoring", "text/plain", "hi", Map.of());
        assertThat(text.statusCode()).isEqualTo(415);
        assertThat(post(open, "/events/bad%20name", "application/json", "{}", Map.of())
                        .statusCode())
                .isEqualTo(400);
        HttpResponse<String> big =
                post(open, "/events/monitoring", "application/json", "{\"p\":\"" + "x".repeat(5000) + "\"}", Map.of());
        assertThat(big.statusCode()).isEqualTo(413);
    }

    @Test
    void aChunkedBodyOverTheLimitIsRefusedWithoutBeingReadWhole() throws Exception {
        // no Content-Length: the size is only known while reading, and the connector must stop at the limit
        long size = 64L * 1024 * 1024;
        InputStream big = new InputStream() {
            private long left = size;

            @Override
            public int read() {
                return left-- > 0 ? ' ' : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (left <= 0) {
                    return -1;
                }
                int n = (int) Math.min(len, left);
                Arrays.fill(b, off, off + n, (byte) ' ');
                left -= n;
                return n;
            }
        };
        HttpRequest request = HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + open.port() + "/events/monitoring"))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> big))
                .build();
        try {
            HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(413);
            assertThat(response.body()).contains("webhook.max.body.bytes");
        } catch (HttpTimeoutException e) {
            throw new AssertionError("the connector kept reading an oversized body", e);
        } catch (IOException closedWhileSending) {
            // the connector answered 413 and closed the connection before the client finished sending: also a refusal
            assertThat(closedWhileSending).isNotInstanceOf(HttpConnectTimeoutException.class);
        }
    }

    @Test
    void aTokenIsRequiredWhenConfiguredAndComparedExactly() throws Exception {
        assertThat(post(guarded, "/events/m", "application/json", "{}", Map.of())
                        .statusCode())
                .isEqualTo(401);
        assertThat(post(guarded, "/events/m", "application/json", "{}", Map.of("Authorization", "Bearer s3cre"))
                        .statusCode())
                .isEqualTo(401);
        assertThat(post(
                                guarded,
                                "/events/m",
                                "application/json",
                                "{\"type\":\"t\"}",
                                Map.of("Authorization", "Bearer s3cret"))
                        .statusCode())
                .isEqualTo(202);
    }

    /** The shape of Alertmanager's documented webhook payload (version 4), two alerts. */
    private static final String ALERTMANAGER = """
        {"version":"4","groupKey":"{}:{alertname=\\"KubePodOOM\\"}","truncatedAlerts":0,"status":"firing",
         "receiver":"reflex","groupLabels":{"alertname":"KubePodOOM"},"commonLabels":{"alertname":"KubePodOOM"},
         "commonAnnotations":{},"externalURL":"http://alertmanager:9093",
         "alerts":[
          {"status":"firing","labels":{"alertname":"KubePodOOM","pod":"api-7","severity":"critical"},
           "annotations":{"summary":"api-7 was OOM-killed"},"startsAt":"2026-03-01T10:00:00Z",
           "endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus/graph","fingerprint":"a1b2c3"},
          {"status":"resolved","labels":{"alertname":"KubePodOOM","pod":"api-8"},"annotations":{},
           "startsAt":"2026-03-01T09:00:00Z","endsAt":"2026-03-01T09:30:00Z","generatorURL":"","fingerprint":"d4e5f6"}]}""";

    @Test
    void anAlertmanagerNotificationBecomesOneEventPerAlert() throws Exception {
        HttpResponse<String> response = post(open, "/alertmanager", "application/json", ALERTMANAGER, Map.of());
        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(response.body()).contains("\"accepted\":2");
        long last = Long.parseLong(response.body().replaceAll(".*\"offset\":(\\d+).*", "$1"));
        String firing =
                new String(recordAt(prefix + "ingest.alertmanager", last - 1).value(), StandardCharsets.UTF_8);
        String resolved =
                new String(recordAt(prefix + "ingest.alertmanager", last).value(), StandardCharsets.UTF_8);
        assertThat(firing)
                .contains(
                        "\"id\":\"alertmanager-a1b2c3-firing-2026-03-01T10:00:00Z\"",
                        "\"type\":\"alert.firing\"",
                        "\"subject\":\"a1b2c3\"",
                        "\"time\":\"2026-03-01T10:00:00Z\"",
                        "\"severity\":\"critical\"",
                        "\"pod\":\"api-7\"",
                        "\"summary\":\"api-7 was OOM-killed\"",
                        "\"receiver\":\"reflex\"");
        assertThat(resolved)
                .contains("\"type\":\"alert.resolved\"", "\"subject\":\"d4e5f6\"", "\"time\":\"2026-03-01T09:30:00Z\"");
        assertThat(post(open, "/alertmanager", "application/json", "{\"alerts\":[]}", Map.of())
                        .statusCode())
                .isEqualTo(400);
    }

    @Test
    void gitHubDeliveriesAreVerifiedAndBecomeCloudEventsWithTheDeliveryId() throws Exception {
        // The test vector of GitHub's documentation for validating webhook deliveries.
        String body = "Hello, World!";
        String signature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        Map<String, String> headers = Map.of("X-GitHub-Event", "push", "X-GitHub-Delivery", "d-1");
        HttpResponse<String> valid = post(
                guarded,
                "/github",
                "application/json",
                body,
                Map.of("X-GitHub-Event", "push", "X-GitHub-Delivery", "d-1", "X-Hub-Signature-256", signature));
        assertThat(valid.statusCode())
                .as("a correct signature over a body that is not JSON")
                .isEqualTo(400);
        assertThat(post(
                                guarded,
                                "/github",
                                "application/json",
                                body,
                                Map.of(
                                        "X-GitHub-Event",
                                        "push",
                                        "X-GitHub-Delivery",
                                        "d-1",
                                        "X-Hub-Signature-256",
                                        signature.replace('7', '8')))
                        .statusCode())
                .isEqualTo(401);
        assertThat(post(guarded, "/github", "application/json", body, headers).statusCode())
                .isEqualTo(401);
        assertThat(post(open, "/github", "application/json", body, headers).statusCode())
                .as("no secret configured")
                .isEqualTo(404);

        String payload = "{\"action\":\"opened\",\"repository\":{\"full_name\":\"acme/api\"},\"number\":7}";
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec("It's a Secret to Everybody".getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        String signed = "sha256=" + HexFormat.of().formatHex(mac.doFinal(payload.getBytes(StandardCharsets.UTF_8)));
        HttpResponse<String> accepted = post(
                guarded,
                "/github",
                "application/json",
                payload,
                Map.of(
                        "X-GitHub-Event",
                        "pull_request",
                        "X-GitHub-Delivery",
                        "72d3162e-cc78-11e3-81ab-4c9367dc0958",
                        "X-Hub-Signature-256",
                        signed));
        assertThat(accepted.statusCode()).isEqualTo(202);
        long offset = Long.parseLong(accepted.body().replaceAll(".*\"offset\":(\\d+).*", "$1"));
        ConsumerRecord<byte[], byte[]> record = recordAt(prefix + "ingest.github", offset);
        assertThat(new String(record.headers().lastHeader("content-type").value(), StandardCharsets.UTF_8))
                .isEqualTo("application/cloudevents+json");
        assertThat(new String(record.value(), StandardCharsets.UTF_8))
                .contains(
                        "\"id\":\"72d3162e-cc78-11e3-81ab-4c9367dc0958\"",
                        "\"type\":\"github.pull_request.opened\"",
                        "\"subject\":\"acme/api\"",
                        "\"data\":{\"action\":\"opened\"");
    }

    @Test
    @Tag("integration")
    void whileKafkaIsDownEventsAreAnswered503WithRetryAfter(@TempDir Path dir) throws Exception {
        EmbeddedKafka kafka = EmbeddedKafka.start(dir, 0, 0, Duration.ofSeconds(60));
        Map<String, Object> s = new HashMap<>(Map.of(
                WebhookConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers(),
                WebhookConfig.HTTP_PORT_CONFIG,
                0,
                WebhookConfig.PRODUCE_TIMEOUT_MS_CONFIG,
                2_000L));
        try (WebhookConnector connector = WebhookConnector.start(new WebhookConfig(s))) {
            assertThat(post(connector, "/events/m", "application/json", "{\"type\":\"t\"}", Map.of())
                            .statusCode())
                    .isEqualTo(202);
            kafka.close();
            HttpResponse<String> down = post(connector, "/events/m", "application/json", "{\"type\":\"t\"}", Map.of());
            assertThat(down.statusCode()).isEqualTo(503);
            assertThat(down.headers().firstValue("Retry-After")).contains("5");
            assertThat(down.body()).contains("retry later");
            HttpResponse<String> newSource =
                    post(connector, "/events/never-seen", "application/json", "{\"type\":\"t\"}", Map.of());
            assertThat(newSource.statusCode()).isEqualTo(503);
        }
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
            assertThatThrownBy(() -> WebhookConnector.start(
                            new WebhookConfig(settings(Map.of(WebhookConfig.HTTP_PORT_CONFIG, taken.getLocalPort())))))
                    .isInstanceOf(AdminServer.PortInUseException.class)
                    .hasMessage("port " + taken.getLocalPort()
                            + " on 127.0.0.1 is in use; set --http-port (http.port) to a free port, or 0 for any");
        }
    }
}
