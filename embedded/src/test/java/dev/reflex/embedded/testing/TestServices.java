package dev.reflex.embedded.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import dev.reflex.embedded.ApicurioRegistry;
import dev.reflex.embedded.EmbeddedKafka;

/**
 * One real broker and one real registry per test JVM, started on first use and stopped when the JVM exits.
 * Tests isolate themselves by topic names and application ids rather than by servers.
 */
public final class TestServices {
    private static EmbeddedKafka kafka;
    private static ApicurioRegistry registry;

    private TestServices() {}

    public static synchronized EmbeddedKafka kafka() {
        if (kafka == null) {
            kafka = EmbeddedKafka.start(tempDir("reflex-test-kafka"), 0, 0, Duration.ofSeconds(60));
            EmbeddedKafka started = kafka;
            Runtime.getRuntime().addShutdownHook(new Thread(started::close, "test-kafka-stop"));
        }
        return kafka;
    }

    public static synchronized ApicurioRegistry registry() {
        if (registry == null) {
            registry = ApicurioRegistry.start(
                    tempDir("reflex-test-registry"), 0, Optional.empty(), Duration.ofSeconds(90));
            ApicurioRegistry started = registry;
            Runtime.getRuntime().addShutdownHook(new Thread(started::close, "test-registry-stop"));
        }
        return registry;
    }

    public static Path tempDir(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
