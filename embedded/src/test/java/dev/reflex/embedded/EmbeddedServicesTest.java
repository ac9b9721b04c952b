package dev.reflex.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedServicesTest {

    @Test
    void brokerKeepsTopicsAndRecordsAcrossARestartOnOtherPorts(@TempDir Path dir) throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir, 0, 0, Duration.ofSeconds(60))) {
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic("kept", 1, (short) 1)))
                        .all()
                        .get();
            }
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(
                    Map.of("bootstrap.servers", kafka.bootstrapServers(), "acks", "all"),
                    new StringSerializer(),
                    new StringSerializer())) {
                producer.send(new ProducerRecord<>("kept", "k", "v")).get();
            }
        }
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir, 0, 0, Duration.ofSeconds(60));
                KafkaConsumer<String, String> consumer = new KafkaConsumer<>(
                        Map.of(
                                "bootstrap.servers",
                                kafka.bootstrapServers(),
                                "group.id",
                                "check",
                                "auto.offset.reset",
                                "earliest"),
                        new StringDeserializer(),
                        new StringDeserializer())) {
            consumer.subscribe(List.of("kept"));
            ConsumerRecords<String, String> records = ConsumerRecords.empty();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (records.isEmpty() && System.nanoTime() < deadline) {
                records = consumer.poll(Duration.ofMillis(500));
            }
            assertThat(records.records("kept")).extracting(r -> r.value()).containsExactly("v");
        }
    }

    @Test
    void aTakenPortIsNamedInTheError(@TempDir Path dir) throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            assertThatThrownBy(() -> EmbeddedKafka.start(dir, taken.getLocalPort(), 0, Duration.ofSeconds(5)))
                    .isInstanceOf(PortInUseException.class)
                    .hasMessageContaining("port " + taken.getLocalPort())
                    .hasMessageContaining("already in use");
        }
    }

    @Test
    void registryWithFileStorageKeepsSchemaIdsAcrossARestart(@TempDir Path dir) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        String schema = "{\"schema\":\"{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"T\\\",\\\"fields\\\":[]}\"}";
        String id;
        try (ApicurioRegistry registry =
                ApicurioRegistry.start(dir, 0, Optional.of(dir.resolve("db")), Duration.ofSeconds(90))) {
            HttpResponse<String> created = http.send(
                    HttpRequest.newBuilder(URI.create(registry.url() + "/subjects/t-value/versions"))
                            .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                            .POST(HttpRequest.BodyPublishers.ofString(schema))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(created.statusCode()).isEqualTo(200);
            id = created.body().replaceAll("\\D", "");
        }
        try (ApicurioRegistry registry =
                ApicurioRegistry.start(dir, 0, Optional.of(dir.resolve("db")), Duration.ofSeconds(90))) {
            HttpResponse<String> found = http.send(
                    HttpRequest.newBuilder(URI.create(registry.url() + "/schemas/ids/" + id))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(found.statusCode()).isEqualTo(200);
            assertThat(found.body()).contains("\\\"name\\\":\\\"T\\\"");
        }
    }
}
