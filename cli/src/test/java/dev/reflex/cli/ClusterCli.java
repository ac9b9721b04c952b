package dev.reflex.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.common.serialization.StringDeserializer;

import dev.reflex.embedded.testing.TestServices;
import dev.reflex.embedded.testing.TopicRecords;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.serde.ReflexSerdes;

/** The command line run in this JVM against the test broker and registry, under one topic prefix; and waiting for decisions. */
final class ClusterCli {
    /** How a command ended and what it printed. */
    record Run(int exit, String out, String err) {}

    private final TopicNames names;
    private final ReflexSerdes serdes;

    ClusterCli(TopicNames names, ReflexSerdes serdes) {
        this.names = names;
        this.serdes = serdes;
    }

    Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of(
                "--bootstrap-servers",
                TestServices.kafka().bootstrapServers(),
                "--schema-registry-url",
                TestServices.registry().url(),
                "--topic-prefix",
                names.prefix()));
        int exit = Main.run(
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                all.toArray(String[]::new));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** The first {@code count} decisions, once there are that many (within a minute). */
    List<Decision> awaitDecisions(int count) {
        List<Decision> read = TopicRecords.readUntil(
                        TestServices.kafka().bootstrapServers(),
                        names.decisions(),
                        new StringDeserializer(),
                        serdes.value(Decision.class).deserializer(),
                        TopicRecords.atLeast(count),
                        Duration.ofSeconds(60))
                .stream()
                .map(r -> r.value())
                .toList();
        assertThat(read).as("decisions").hasSize(count);
        return read;
    }
}
