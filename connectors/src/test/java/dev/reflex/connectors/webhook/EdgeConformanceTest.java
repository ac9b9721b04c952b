package dev.reflex.connectors.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.reflex.embedded.testing.TestServices;
import dev.reflex.embedded.testing.TopicRecords;

/** What the webhook connector accepts at the edge: CloudEvents 1.0 in every mode, GitHub's event names, Alertmanager's alerts. */
class EdgeConformanceTest {
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String GITHUB_SECRET = "edge-secret";
    private static WebhookConnector webhook;
    private static String prefix;

    @BeforeAll
    static void start() {
        prefix = "edge" + UUID.randomUUID().toString().substring(0, 8) + ".";
        Map<String, Object> s = new HashMap<>();
        s.put(WebhookConfig.BOOTSTRAP_SERVERS_CONFIG, TestServices.kafka().bootstrapServers());
        s.put(WebhookConfig.TOPIC_PREFIX_CONFIG, prefix);
        s.put(WebhookConfig.HTTP_PORT_CONFIG, 0);
        s.put(WebhookConfig.GITHUB_SECRET_CONFIG, GITHUB_SECRET);
        webhook = WebhookConnector.start(new WebhookConfig(s));
    }

    @AfterAll
    static void stop() {
        webhook.close();
    }

    static Map<String, JsonNode> cases(String file) throws Exception {
        JsonNode all = JSON.readTree(
                Path.of("..", "examples", "events", "cloudevents", file).toFile());
        Map<String, JsonNode> cases = new LinkedHashMap<>();
        all.fields().forEachRemaining(e -> cases.put(e.getKey(), e.getValue()));
        return cases;
    }

    private static HttpResponse<String> post(String path, String contentType, String body, Map<String, String> headers)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + webhook.port() + path))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(request::header);
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static List<ConsumerRecord<byte[], byte[]>> records(String topic, long from, int count) {
        return TopicRecords.readFrom(
                TestServices.kafka().bootstrapServers(),
                new TopicPartition(topic, 0),
                from,
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer(),
                TopicRecords.atLeast(count),
                Duration.ofSeconds(20));
    }

    private static long lastOffset(HttpResponse<String> accepted) throws Exception {
        return JSON.readTree(accepted.body()).get("offset").asLong();
    }

    @Test
    void everyInvalidCloudEventIsRefusedWithItsViolationsAndNoneIsPublished() throws Exception {
        for (Map.Entry<String, JsonNode> c : cases("invalid.json").entrySet()) {
            HttpResponse<String> response = post(
                    "/events/ce", "application/cloudevents+json", c.getValue().toString(), Map.of());
            assertThat(response.statusCode()).as(c.getKey()).isEqualTo(400);
            JsonNode answer = JSON.readTree(response.body());
            assertThat(answer.get("violations")).as(c.getKey()).isNotEmpty();
            assertThat(answer.get("error").asText()).startsWith("invalid CloudEvent: ");
        }
        HttpResponse<String> probe = post(
                "/events/ce",
                "application/cloudevents+json",
                cases("valid.json").get("minimal").toString(),
                Map.of());
        assertThat(probe.statusCode()).isEqualTo(202);
        assertThat(lastOffset(probe))
                .as("only the valid probe reached the topic")
                .isZero();
    }

    @Test
    void everyValidCloudEventIsAcceptedInStructuredMode() throws Exception {
        for (Map.Entry<String, JsonNode> c : cases("valid.json").entrySet()) {
            assertThat(post(
                                    "/events/valid",
                                    "application/cloudevents+json; charset=utf-8",
                                    c.getValue().toString(),
                                    Map.of())
                            .statusCode())
                    .as(c.getKey())
                    .isEqualTo(202);
        }
    }

    @Test
    void binaryModeHeadersAreCheckedAlike() throws Exception {
        Map<String, String> good = Map.of(
                "ce-specversion",
                "1.0",
                "ce-id",
                "b-1",
                "ce-source",
                "/ci",
                "ce-type",
                "deploy.done",
                "ce-time",
                "2026-01-31T12:00:00.5+01:00");
        assertThat(post("/events/bin", "application/octet-stream", "\u0001\u0002", good)
                        .statusCode())
                .isEqualTo(202);
        Map<String, String> withSubject = new HashMap<>(good);
        withSubject.put("ce-subject", "api");
        HttpResponse<String> keyed = post("/events/bin", "application/json", "[1,2]", withSubject);
        assertThat(keyed.statusCode()).as("any JSON value is binary-mode data").isEqualTo(202);
        assertThat(new String(
                        records(prefix + "ingest.bin", lastOffset(keyed), 1)
                                .get(0)
                                .key(),
                        StandardCharsets.UTF_8))
                .as("keyed by ce-subject")
                .isEqualTo("api");
        HttpResponse<String> bad = post(
                "/events/bin",
                "application/json",
                "{}",
                Map.of(
                        "ce-specversion",
                        "1.0",
                        "ce-id",
                        "b-2",
                        "ce-source",
                        "/ci",
                        "ce-type",
                        "deploy.done",
                        "ce-time",
                        "2018-04-05T18:31Z"));
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("time '2018-04-05T18:31Z' is not an RFC 3339 timestamp");
    }

    @Test
    void aBatchIsPublishedAsOneStructuredEventEachOrRefusedWhole() throws Exception {
        List<JsonNode> valid = new ArrayList<>(cases("valid.json").values());
        HttpResponse<String> accepted = post(
                "/events/batch",
                "application/cloudevents-batch+json",
                JSON.valueToTree(valid).toString(),
                Map.of());
        assertThat(accepted.statusCode()).isEqualTo(202);
        assertThat(JSON.readTree(accepted.body()).get("accepted").asInt()).isEqualTo(valid.size());
        List<ConsumerRecord<byte[], byte[]>> records = records(prefix + "ingest.batch", 0, valid.size());
        assertThat(records)
                .hasSize(valid.size())
                .allSatisfy(r -> assertThat(new String(
                                r.headers().lastHeader("content-type").value(), StandardCharsets.UTF_8))
                        .isEqualTo("application/cloudevents+json"));
        assertThat(JSON.readTree(records.get(0).value()).get("id").asText())
                .isEqualTo(valid.get(0).get("id").asText());

        List<JsonNode> mixed = List.of(valid.get(0), cases("invalid.json").get("specversion 0.9"));
        HttpResponse<String> refused = post(
                "/events/batch",
                "application/cloudevents-batch+json",
                JSON.valueToTree(mixed).toString(),
                Map.of());
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(refused.body()).contains("event 1: specversion must be 1.0");
        assertThat(post("/events/batch", "application/cloudevents-batch+json", "{}", Map.of())
                        .statusCode())
                .isEqualTo(400);
    }

    /** Deliveries shaped like GitHub's: event name, a payload with what that event carries, signed with the secret. */
    @Test
    void everyGitHubEventNameIsAcceptedWithASubjectForEventsWithoutARepository() throws Exception {
        String repo = "{\"repository\":{\"full_name\":\"acme/api\"},\"sender\":{\"login\":\"octocat\"}";
        String org = "{\"organization\":{\"login\":\"acme\"},\"sender\":{\"login\":\"octocat\"}";
        String installation =
                "{\"installation\":{\"id\":1,\"account\":{\"login\":\"acme-app-owner\"}},\"sender\":{\"login\":\"octocat\"}";
        String sender = "{\"sender\":{\"login\":\"octocat\"}";
        Map<String, String[]> deliveries = new LinkedHashMap<>();
        for (String name : List.of(
                "push",
                "pull_request",
                "pull_request_review",
                "pull_request_review_comment",
                "issues",
                "issue_comment",
                "create",
                "delete",
                "release",
                "workflow_run",
                "workflow_job",
                "check_run",
                "check_suite",
                "deployment",
                "deployment_status",
                "status",
                "fork",
                "watch",
                "star",
                "label",
                "milestone",
                "code_scanning_alert",
                "dependabot_alert",
                "secret_scanning_alert",
                "repository_vulnerability_alert",
                "branch_protection_rule",
                "security_and_analysis",
                "merge_group",
                "page_build",
                "gollum",
                "public",
                "repository_dispatch")) {
            deliveries.put(name, new String[] {repo + ",\"action\":\"created\"}", "acme/api"});
        }
        deliveries.put("projects_v2_item", new String[] {org + ",\"action\":\"edited\"}", "acme"});
        deliveries.put("projects_v2", new String[] {org + ",\"action\":\"created\"}", "acme"});
        deliveries.put("organization", new String[] {org + ",\"action\":\"member_added\"}", "acme"});
        deliveries.put("membership", new String[] {org + ",\"action\":\"added\"}", "acme"});
        deliveries.put("team", new String[] {org + ",\"action\":\"created\"}", "acme"});
        deliveries.put("installation", new String[] {installation + ",\"action\":\"created\"}", "acme-app-owner"});
        deliveries.put(
                "installation_repositories", new String[] {installation + ",\"action\":\"added\"}", "acme-app-owner"});
        deliveries.put("github_app_authorization", new String[] {sender + ",\"action\":\"revoked\"}", "octocat"});
        deliveries.put("sponsorship", new String[] {sender + ",\"action\":\"created\"}", "octocat"});
        deliveries.put("marketplace_purchase", new String[] {sender + ",\"action\":\"purchased\"}", "octocat"});
        deliveries.put("ping", new String[] {"{\"zen\":\"Keep it logically awesome.\",\"hook_id\":1}", null});

        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(GITHUB_SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        long first = -1;
        for (Map.Entry<String, String[]> d : deliveries.entrySet()) {
            String payload = d.getValue()[0];
            String signature =
                    "sha256=" + HexFormat.of().formatHex(mac.doFinal(payload.getBytes(StandardCharsets.UTF_8)));
            HttpResponse<String> response = post(
                    "/github",
                    "application/json",
                    payload,
                    Map.of(
                            "X-GitHub-Event",
                            d.getKey(),
                            "X-GitHub-Delivery",
                            "delivery-" + d.getKey(),
                            "X-Hub-Signature-256",
                            signature));
            assertThat(response.statusCode())
                    .as(d.getKey() + ": " + response.body())
                    .isEqualTo(202);
            if (first < 0) {
                first = lastOffset(response);
            }
        }
        assertThat(deliveries).hasSizeGreaterThanOrEqualTo(30);
        List<ConsumerRecord<byte[], byte[]>> records = records(prefix + "ingest.github", first, deliveries.size());
        assertThat(records).hasSize(deliveries.size());
        int i = 0;
        for (Map.Entry<String, String[]> d : deliveries.entrySet()) {
            JsonNode event = JSON.readTree(records.get(i++).value());
            assertThat(event.get("type").asText()).as(d.getKey()).startsWith("github." + d.getKey());
            String subject = d.getValue()[1];
            if (subject == null) {
                assertThat(event.has("subject")).as(d.getKey()).isFalse();
            } else {
                assertThat(event.get("subject").asText()).as(d.getKey()).isEqualTo(subject);
            }
        }
        assertThat(post(
                                "/github",
                                "application/json",
                                "{}",
                                Map.of(
                                        "X-GitHub-Event",
                                        "bad-name!",
                                        "X-GitHub-Delivery",
                                        "x",
                                        "X-Hub-Signature-256",
                                        "sha256="
                                                + HexFormat.of()
                                                        .formatHex(mac.doFinal("{}".getBytes(StandardCharsets.UTF_8)))))
                        .statusCode())
                .isEqualTo(400);
    }

    @Test
    void anAlertWithoutFingerprintGetsOneFromItsLabelsStableAcrossDeliveriesAndLabelOrder() throws Exception {
        String one =
                "{\"status\":\"firing\",\"alerts\":[{\"status\":\"firing\",\"labels\":{\"alertname\":\"Down\",\"job\":\"api\"},"
                        + "\"startsAt\":\"2026-03-01T10:00:00Z\"}]}";
        String reordered =
                "{\"status\":\"firing\",\"alerts\":[{\"status\":\"firing\",\"labels\":{\"job\":\"api\",\"alertname\":\"Down\"},"
                        + "\"startsAt\":\"2026-03-01T10:00:00Z\"}]}";
        String other =
                "{\"status\":\"firing\",\"alerts\":[{\"status\":\"firing\",\"labels\":{\"alertname\":\"Down\",\"job\":\"web\"},"
                        + "\"startsAt\":\"2026-03-01T10:00:00Z\"}]}";
        List<String> subjects = new ArrayList<>();
        for (String body : List.of(one, reordered, other)) {
            HttpResponse<String> response = post("/alertmanager", "application/json", body, Map.of());
            assertThat(response.statusCode()).isEqualTo(202);
            JsonNode event = JSON.readTree(records(prefix + "ingest.alertmanager", lastOffset(response), 1)
                    .get(0)
                    .value());
            subjects.add(event.get("subject").asText());
            assertThat(event.get("id").asText())
                    .isEqualTo("alertmanager-" + event.get("subject").asText() + "-firing-2026-03-01T10:00:00Z");
        }
        assertThat(subjects.get(0))
                .matches("[0-9a-f]{16}")
                .isEqualTo(subjects.get(1))
                .isNotEqualTo(subjects.get(2));
        assertThat(subjects.get(0))
                .isEqualTo(AlertmanagerSource.fingerprint(JSON.readTree("{\"job\":\"api\",\"alertname\":\"Down\"}")));
    }
}
