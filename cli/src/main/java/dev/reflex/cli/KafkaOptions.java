package dev.reflex.cli;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import picocli.CommandLine.Option;

import dev.reflex.schemas.KafkaConnection;

/**
 * Where a command finds Kafka and how it authenticates: the brokers, and the security settings (TLS, SASL) from
 * REFLEX_* variables ({@code REFLEX_SECURITY_PROTOCOL}, {@code REFLEX_SASL_JAAS_CONFIG}, ...) and, over them, a
 * client settings file as Kafka's own tools take one.
 */
final class KafkaOptions {
    @Option(
            names = "--bootstrap-servers",
            paramLabel = "HOST:PORT[,...]",
            defaultValue = "${env:REFLEX_BOOTSTRAP_SERVERS:-127.0.0.1:9092}",
            description = "Kafka brokers (default: ${DEFAULT-VALUE}).")
    String bootstrapServers;

    @Option(
            names = "--kafka-config",
            paramLabel = "FILE",
            defaultValue = "${env:REFLEX_KAFKA_CONFIG}",
            description =
                    "Kafka client settings (security.protocol, sasl.*, ssl.*) as a properties file, like the --command-config "
                            + "of Kafka's tools; also REFLEX_KAFKA_CONFIG. The same settings can come from REFLEX_SECURITY_PROTOCOL, "
                            + "REFLEX_SASL_MECHANISM, REFLEX_SASL_JAAS_CONFIG, ...")
    Path kafkaConfig;

    /** The brokers and security settings, with {@code more} (a process's own settings) over the file's. */
    KafkaConnection kafka(Map<String, ?> more) {
        Map<String, Object> settings =
                new HashMap<>(Settings.resolve(KafkaConnection.SECURITY, kafkaConfig, System.getenv(), Map.of()));
        settings.putAll(more);
        return KafkaConnection.of(bootstrapServers, settings);
    }

    KafkaConnection kafka() {
        return kafka(Map.of());
    }
}
