package dev.reflex.cli;

import java.util.Map;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

import dev.reflex.schemas.TopicAdmin;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.registry.SchemaRegistryClient;
import dev.reflex.schemas.serde.ReflexSerdes;
import picocli.CommandLine.Option;

/** Where a command finds Kafka and the registry; defaults from REFLEX_* variables, then the ones reflex dev uses. */
final class ConnectionOptions {
    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,...]", defaultValue = "${env:REFLEX_BOOTSTRAP_SERVERS:-127.0.0.1:9092}",
        description = "Kafka brokers (default: ${DEFAULT-VALUE}).")
    String bootstrapServers;

    @Option(names = "--schema-registry-url", paramLabel = "URL",
        defaultValue = "${env:REFLEX_SCHEMA_REGISTRY_URL:-http://127.0.0.1:8081/apis/ccompat/v7}",
        description = "Confluent-compatible schema registry (default: ${DEFAULT-VALUE}).")
    String schemaRegistryUrl;

    @Option(names = "--topic-prefix", paramLabel = "PREFIX", defaultValue = "${env:REFLEX_TOPIC_PREFIX:-reflex.}",
        description = "Prefix of Reflex topics (default: ${DEFAULT-VALUE}).")
    String prefix;

    TopicNames names() {
        return new TopicNames(prefix);
    }

    ReflexSerdes serdes() {
        return new ReflexSerdes(new SchemaRegistryClient(schemaRegistryUrl), true);
    }

    /** An admin client for a cluster that answered, or the one-line error. */
    Admin admin() {
        Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
            AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000,
            AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000));
        try {
            TopicAdmin.requireReachable(admin, bootstrapServers, 10_000);
        } catch (RuntimeException e) {
            admin.close();
            throw e;
        }
        return admin;
    }
}
