package dev.reflex.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import dev.reflex.actors.ActorRunner;
import dev.reflex.actors.Execution;
import dev.reflex.audit.publish.RulePublisher;
import dev.reflex.connectors.webhook.WebhookConfig;
import dev.reflex.connectors.webhook.WebhookConnector;
import dev.reflex.embedded.testing.Images;
import dev.reflex.embedded.testing.TestServices;
import dev.reflex.engine.EngineConfig;
import dev.reflex.engine.EngineProcess;
import dev.reflex.engine.TestEngines;
import dev.reflex.schemas.KafkaConnection;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.registry.SchemaRegistryClient;
import dev.reflex.schemas.serde.ReflexSerdes;

/**
 * Every series the Grafana dashboard queries is in a real scrape: an engine, the webhook connector and an actor run
 * the tour's kind of traffic (an event acted on, a rule that fails, an unreadable record), and their /metrics together
 * carry each metric name the dashboard's expressions use.
 */
@Tag("integration")
class DashboardTest {
    private static final Pattern GROUPING = Pattern.compile("\\b(by|without)\\s*\\([^)]*\\)");
    private static final Pattern MATCHERS = Pattern.compile("\\{[^}]*\\}");
    private static final Pattern NAME = Pattern.compile("\\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\\b");
    private static final Set<String> FUNCTIONS = Set.of("histogram_quantile");
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void everyMetricTheDashboardQueriesIsInARealScrape(@TempDir Path dir) throws Exception {
        Set<String> queried = queriedMetrics(Images.repo().resolve("helm/reflex/dashboards/reflex.json"));
        assertThat(queried)
                .as("the dashboard queries Reflex's own series")
                .contains(
                        "reflex_events_in_total",
                        "reflex_decisions_total",
                        "reflex_rule_matches_total",
                        "reflex_rule_errors_total",
                        "reflex_evaluation_seconds_bucket",
                        "reflex_dead_letters_total",
                        "reflex_decision_lag_seconds_bucket");

        TopicNames names = new TopicNames("dash" + UUID.randomUUID().toString().substring(0, 8) + ".");
        String bootstrap = TestServices.kafka().bootstrapServers();
        ReflexSerdes serdes = new ReflexSerdes(
                new SchemaRegistryClient(TestServices.registry().url()), true);
        Path rules = Files.createDirectories(dir.resolve("rules"));
        Files.writeString(rules.resolve("rules.yaml"), """
            id: scale-out
            when: {source: monitoring, type: cpu.high}
            then:
              - system: ops
                action: scale-out
                target: ${event.subject}
            ---
            id: broken
            when: {source: monitoring, type: cpu.high, condition: 'event.data.cpu + 1'}
            """);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            RulePublisher.apply(rules, KafkaConnection.plaintext(bootstrap), admin, names, serdes, false);
        }
        List<AutoCloseable> started = new ArrayList<>();
        try {
            Map<String, Object> settings = TestEngines.settings(names, dir.resolve("state"));
            settings.put(EngineConfig.API_PORT_CONFIG, 0);
            EngineProcess engine = EngineProcess.start(settings);
            started.add(engine);
            assertThat(engine.awaitRunning(Duration.ofSeconds(90))).isTrue();
            Map<String, Object> webhookSettings = new HashMap<>();
            webhookSettings.put(WebhookConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            webhookSettings.put(WebhookConfig.TOPIC_PREFIX_CONFIG, names.prefix());
            webhookSettings.put(WebhookConfig.HTTP_PORT_CONFIG, 0);
            WebhookConnector webhook = WebhookConnector.start(new WebhookConfig(webhookSettings));
            started.add(webhook);
            PrometheusMeterRegistry actorMetrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            ActorRunner actor = new ActorRunner(
                            KafkaConnection.plaintext(bootstrap),
                            names,
                            serdes,
                            "ops",
                            names.prefix() + "ops",
                            action -> Execution.succeeded(1, null, null, "done"),
                            actorMetrics)
                    .start();
            started.add(actor);

            HttpResponse<String> sent = HTTP.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + webhook.port() + "/events/monitoring"))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(
                                    "{\"id\":\"e-1\",\"type\":\"cpu.high\",\"subject\":\"web-1\",\"cpu\":97}"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(sent.statusCode()).as(sent.body()).isEqualTo(202);
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                    Map.of("bootstrap.servers", bootstrap), new ByteArraySerializer(), new ByteArraySerializer())) {
                producer.send(new ProducerRecord<>(
                                names.ingest("monitoring"), "not json".getBytes(StandardCharsets.UTF_8)))
                        .get();
            }

            Set<String> missing = Set.of();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline) {
                Set<String> scraped = new TreeSet<>();
                scraped.addAll(seriesNames(get(engine.apiUrl().orElseThrow() + "/metrics")));
                scraped.addAll(seriesNames(get("http://127.0.0.1:" + webhook.port() + "/metrics")));
                scraped.addAll(seriesNames(actorMetrics.scrape()));
                missing = new TreeSet<>(queried);
                missing.removeAll(scraped);
                if (missing.isEmpty()) {
                    break;
                }
                Thread.sleep(500);
            }
            assertThat(missing)
                    .as("metrics the dashboard queries that no process exposes")
                    .isEmpty();
        } finally {
            for (int i = started.size() - 1; i >= 0; i--) {
                started.get(i).close();
            }
        }
    }

    /** The metric names in the dashboard's expressions: identifiers with an underscore, once groupings and matchers are removed. */
    static Set<String> queriedMetrics(Path dashboard) throws Exception {
        Set<String> names = new TreeSet<>();
        for (JsonNode expr : new ObjectMapper().readTree(dashboard.toFile()).findValues("expr")) {
            String text = MATCHERS.matcher(GROUPING.matcher(expr.asText()).replaceAll(" "))
                    .replaceAll(" ");
            Matcher m = NAME.matcher(text);
            while (m.find()) {
                if (!FUNCTIONS.contains(m.group())) {
                    names.add(m.group());
                }
            }
        }
        return names;
    }

    private static Set<String> seriesNames(String scrape) {
        Set<String> names = new TreeSet<>();
        for (String line : scrape.split("\n")) {
            if (!line.isEmpty() && !line.startsWith("#")) {
                int end = line.indexOf('{') > 0 ? line.indexOf('{') : line.indexOf(' ');
                names.add(line.substring(0, end));
            }
        }
        return names;
    }

    private static String get(String url) throws Exception {
        return HTTP.send(
                        HttpRequest.newBuilder(URI.create(url))
                                .timeout(Duration.ofSeconds(10))
                                .GET()
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
    }
}
