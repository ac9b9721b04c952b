package dev.reflex.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.admin.Admin;

import dev.reflex.audit.publish.RulePublisher;
import dev.reflex.connectors.webhook.WebhookConfig;
import dev.reflex.connectors.webhook.WebhookConnector;
import dev.reflex.embedded.testing.TestServices;
import dev.reflex.engine.EngineConfig;
import dev.reflex.engine.EngineProcess;
import dev.reflex.engine.TestEngines;
import dev.reflex.schemas.KafkaConnection;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.registry.SchemaRegistryClient;
import dev.reflex.schemas.serde.ReflexSerdes;

/**
 * An engine (with its API) and a webhook connector on the test broker, under a topic prefix of their own, with the
 * rules of a directory applied: what the command-line integration tests run against.
 */
final class EngineUnderTest implements AutoCloseable {
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    final Path dir;
    final Path rules;
    final TopicNames names;
    final ReflexSerdes serdes;
    final String bootstrap;
    final ClusterCli cli;
    EngineProcess engine;
    private final WebhookConnector webhook;

    /** Applies the rule files {@code rules} (file name to YAML), then starts the engine and the connector. */
    EngineUnderTest(String prefix, String instanceId, Map<String, String> ruleFiles) throws Exception {
        dir = Files.createTempDirectory("reflex-" + prefix);
        bootstrap = TestServices.kafka().bootstrapServers();
        names = new TopicNames(prefix + UUID.randomUUID().toString().substring(0, 8) + ".");
        serdes = new ReflexSerdes(
                new SchemaRegistryClient(TestServices.registry().url()), true);
        cli = new ClusterCli(names, serdes);
        rules = Files.createDirectories(dir.resolve("rules"));
        for (Map.Entry<String, String> file : ruleFiles.entrySet()) {
            Files.writeString(rules.resolve(file.getKey()), file.getValue());
        }
        apply();
        Map<String, Object> settings = TestEngines.settings(names, dir.resolve("state"));
        settings.put(EngineConfig.INSTANCE_ID_CONFIG, instanceId);
        settings.put(EngineConfig.API_PORT_CONFIG, 0);
        engine = EngineProcess.start(settings);
        assertThat(engine.awaitRunning(Duration.ofSeconds(60)))
                .as("engine running")
                .isTrue();
        Map<String, Object> hook = new HashMap<>();
        hook.put(WebhookConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        hook.put(WebhookConfig.TOPIC_PREFIX_CONFIG, names.prefix());
        hook.put(WebhookConfig.HTTP_PORT_CONFIG, 0);
        webhook = WebhookConnector.start(new WebhookConfig(hook));
    }

    /** Applies the rules directory as it is now, as {@code reflex rules apply} does. */
    void apply() throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            RulePublisher.apply(rules, KafkaConnection.plaintext(bootstrap), admin, names, serdes, false);
        }
    }

    /** Posts a JSON event to the webhook connector's {@code /events/SOURCE}; it must be accepted. */
    void post(String source, String json) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + webhook.port() + "/events/" + source))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json))
                .build();
        assertThat(HTTP.send(request, HttpResponse.BodyHandlers.ofString()).statusCode())
                .isEqualTo(202);
    }

    String apiUrl() {
        return engine.apiUrl().orElseThrow();
    }

    /** Stops the engine (the connector stays). */
    void stopEngine() {
        if (engine != null) {
            engine.close();
            engine = null;
        }
    }

    @Override
    public void close() {
        webhook.close();
        stopEngine();
    }
}
