package dev.reflex.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.apache.kafka.common.config.types.Password;
import org.junit.jupiter.api.Test;

/** Which settings reach every client, and that printing a connection shows no secret. */
class KafkaConnectionTest {
    @Test
    void securitySettingsReachEveryClientAndOthersDoNot() {
        KafkaConnection kafka = KafkaConnection.of(
                "b:9093",
                Map.of(
                        "security.protocol",
                        "SASL_SSL",
                        "sasl.mechanism",
                        "SCRAM-SHA-512",
                        "sasl.jaas.config",
                        new Password("ScramLoginModule required username=\"u\" password=\"hunter2\";"),
                        "ssl.truststore.location",
                        "/t.p12",
                        "reflex.topic.prefix",
                        "x.",
                        "num.stream.threads",
                        "4"));
        assertThat(kafka.security())
                .containsOnlyKeys("security.protocol", "sasl.mechanism", "sasl.jaas.config", "ssl.truststore.location");
        assertThat(kafka.security().get("sasl.jaas.config"))
                .as("unwrapped for the client")
                .isEqualTo("ScramLoginModule required username=\"u\" password=\"hunter2\";");
        assertThat(kafka.client("acks", "all"))
                .containsEntry("bootstrap.servers", "b:9093")
                .containsEntry("acks", "all")
                .containsEntry("security.protocol", "SASL_SSL");
        assertThat(kafka.toString())
                .isEqualTo("b:9093 (SASL_SSL SCRAM-SHA-512)")
                .doesNotContain("hunter2");
        assertThat(KafkaConnection.plaintext("b:9092").toString()).isEqualTo("b:9092");
    }
}
