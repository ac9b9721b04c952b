package dev.reflex.engine;

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
import java.util.Optional;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import dev.reflex.audit.publish.RulePublisher;
import dev.reflex.embedded.testing.TestServices;
import dev.reflex.schemas.ContentTypes;
import dev.reflex.schemas.KafkaConnection;
import dev.reflex.schemas.TopicAdmin;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.TopicSpec;
import dev.reflex.schemas.registry.SchemaRegistryClient;
import dev.reflex.schemas.serde.ReflexSerdes;

/** Engine settings for tests on the shared broker and registry: one application per topic prefix. */
public final class TestEngines {
    private TestEngines() {}

    public static Map<String, Object> settings(TopicNames names, Path stateDir) {
        Map<String, Object> settings = new HashMap<>();
        settings.put(EngineConfig.BOOTSTRAP_SERVERS_CONFIG, TestServices.kafka().bootstrapServers());
        settings.put(
                EngineConfig.SCHEMA_REGISTRY_URL_CONFIG, TestServices.registry().url());
        settings.put(EngineConfig.TOPIC_PREFIX_CONFIG, names.prefix());
        settings.put(EngineConfig.APPLICATION_ID_CONFIG, names.prefix() + "engine");
        settings.put(EngineConfig.STATE_DIR_CONFIG, stateDir.toString());
        settings.put(EngineConfig.METADATA_MAX_AGE_MS_CONFIG, 1000L);
        return settings;
    }

    /**
     * Creates the engine's topics under {@code names} (4 partitions each) with {@code more}, and publishes {@code rule}
     * (YAML) as the only rule, from a file under {@code dir}.
     */
    public static void topicsAndRule(TopicNames names, Path dir, String rule, TopicSpec... more) throws Exception {
        String bootstrap = TestServices.kafka().bootstrapServers();
        ReflexSerdes serdes = new ReflexSerdes(
                new SchemaRegistryClient(TestServices.registry().url()), true);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            List<TopicSpec> specs = new ArrayList<>(names.fixed());
            specs.addAll(List.of(more));
            new TopicAdmin(admin, Optional.of(4), Optional.empty(), 30_000).ensure(specs);
            Path rules = Files.createDirectories(dir.resolve("rules"));
            Files.writeString(rules.resolve("rule.yaml"), rule);
            RulePublisher.apply(rules, KafkaConnection.plaintext(bootstrap), admin, names, serdes, false);
        }
    }

    /** JSON events {@code ev-0..ev-(count-1)} of {@code type} to {@code topic}, subjects {@code pod-0...}, keyed by subject. */
    public static void produceJson(String topic, int count, String type) {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", TestServices.kafka().bootstrapServers(), "linger.ms", 20),
                new ByteArraySerializer(),
                new ByteArraySerializer())) {
            for (int i = 0; i < count; i++) {
                String subject = "pod-" + i;
                ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(
                        topic,
                        subject.getBytes(StandardCharsets.UTF_8),
                        ("{\"id\":\"ev-" + i + "\",\"type\":\"" + type + "\",\"subject\":\"" + subject + "\"}")
                                .getBytes(StandardCharsets.UTF_8));
                record.headers().add(ContentTypes.HEADER, ContentTypes.JSON.getBytes(StandardCharsets.UTF_8));
                producer.send(record);
            }
        }
    }

    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** A GET of {@code url} with no credentials, answered within 10 s. */
    public static HttpResponse<String> get(String url) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create(url))
                        .timeout(Duration.ofSeconds(10))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
