package dev.reflex.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import dev.reflex.schemas.ContentTypes;
import dev.reflex.schemas.KafkaConnection;
import dev.reflex.schemas.TopicAdmin;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.TopicSpec;

@Command(
        name = "publish",
        mixinStandardHelpOptions = true,
        description = "Publish an event (a JSON object) from a file or standard input to reflex.ingest.<source>.")
final class PublishCommand implements Callable<Integer> {
    @Option(
            names = "--source",
            required = true,
            paramLabel = "NAME",
            description = "The event's source; it picks the ingest topic.")
    String source;

    @Parameters(paramLabel = "FILE", description = "JSON file with one event, or - for standard input.")
    String file;

    @picocli.CommandLine.Mixin
    KafkaOptions kafkaOptions;

    @Option(
            names = "--topic-prefix",
            paramLabel = "PREFIX",
            defaultValue = "${env:REFLEX_TOPIC_PREFIX:-reflex.}",
            description = "Prefix of Reflex topics (default: ${DEFAULT-VALUE}).")
    String prefix;

    @Option(
            names = "--content-type",
            paramLabel = "TYPE",
            defaultValue = "application/json",
            description = "application/json or application/cloudevents+json (default: ${DEFAULT-VALUE}).")
    String contentType;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        TopicNames names = new TopicNames(prefix);
        if (!TopicNames.isValidPart(source)) {
            throw new Settings.SettingsException(
                    "invalid source name '" + source + "': use letters, digits, '.', '_' or '-'");
        }
        byte[] body = read(file);
        JsonNode json;
        try {
            json = new ObjectMapper().readTree(body);
        } catch (JsonProcessingException e) {
            throw new Settings.SettingsException(file + " is not valid JSON: " + e.getOriginalMessage());
        }
        if (json == null || !json.isObject()) {
            throw new Settings.SettingsException(file + " must hold one JSON object");
        }
        String topic = names.ingest(source);
        KafkaConnection kafka = kafkaOptions.kafka();
        try (Admin admin = Admin.create(kafka.client())) {
            TopicAdmin.requireReachable(admin, kafka.toString(), 10_000);
            new TopicAdmin(admin, Optional.empty(), Optional.empty(), 15_000)
                    .ensure(List.of(new TopicSpec(topic, false)));
        }
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                kafka.client(
                        ProducerConfig.ACKS_CONFIG,
                        "all",
                        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                        true,
                        ProducerConfig.MAX_BLOCK_MS_CONFIG,
                        15_000),
                new ByteArraySerializer(),
                new ByteArraySerializer())) {
            String subject =
                    json.path("subject").isValueNode() ? json.path("subject").asText() : null;
            ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(
                    topic, null, subject == null ? null : subject.getBytes(StandardCharsets.UTF_8), body);
            record.headers().add(new RecordHeader(ContentTypes.HEADER, contentType.getBytes(StandardCharsets.UTF_8)));
            RecordMetadata metadata = producer.send(record).get();
            spec.commandLine()
                    .getOut()
                    .println("published to " + metadata.topic() + " partition " + metadata.partition() + " offset "
                            + metadata.offset());
        } catch (ExecutionException e) {
            throw new IllegalStateException(
                    "Kafka did not accept the event: " + e.getCause().getMessage(), e.getCause());
        }
        return 0;
    }

    private static byte[] read(String file) throws IOException {
        if (file.equals("-")) {
            return System.in.readAllBytes();
        }
        try {
            return Files.readAllBytes(Path.of(file));
        } catch (NoSuchFileException e) {
            throw new Settings.SettingsException("file not found: " + file);
        }
    }
}
