package dev.reflex.cli;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import dev.reflex.schemas.KafkaConnection;
import dev.reflex.schemas.TopicAdmin;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.registry.SchemaRegistryClient;
import dev.reflex.schemas.serde.ReflexSerdes;

/** Where a command finds Kafka and the registry; defaults from REFLEX_* variables, then the ones reflex dev uses. */
final class ConnectionOptions {
    @Mixin
    KafkaOptions kafkaOptions;

    @Option(
            names = "--schema-registry-url",
            paramLabel = "URL",
            defaultValue = "${env:REFLEX_SCHEMA_REGISTRY_URL:-http://127.0.0.1:8081/apis/ccompat/v7}",
            description = "Confluent-compatible schema registry (default: ${DEFAULT-VALUE}).")
    String schemaRegistryUrl;

    @Option(
            names = "--topic-prefix",
            paramLabel = "PREFIX",
            defaultValue = "${env:REFLEX_TOPIC_PREFIX:-reflex.}",
            description = "Prefix of Reflex topics (default: ${DEFAULT-VALUE}).")
    String prefix;

    TopicNames names() {
        return new TopicNames(prefix);
    }

    ReflexSerdes serdes() {
        return new ReflexSerdes(new SchemaRegistryClient(schemaRegistryUrl), true);
    }

    /** The brokers and security settings. */
    KafkaConnection kafka() {
        return kafkaOptions.kafka();
    }

    /** The brokers and security settings, with a process's own settings ({@code --config}, {@code --set}) over them. */
    KafkaConnection kafka(ProcessOptions process) {
        return kafkaOptions.kafka(Settings.resolve(
                KafkaConnection.SECURITY, process.config, System.getenv(), Settings.pairs(process.sets)));
    }

    /** An admin client for a cluster that answered, or the one-line error. */
    Admin admin() {
        return admin(kafka());
    }

    /** An admin client on {@code kafka} for a cluster that answered, or the one-line error. */
    static Admin admin(KafkaConnection kafka) {
        Admin admin = Admin.create(kafka.client(
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000));
        try {
            TopicAdmin.requireReachable(admin, kafka.toString(), 10_000);
        } catch (RuntimeException e) {
            admin.close();
            throw e;
        }
        return admin;
    }
}
