package dev.reflex.dev;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.reflex.embedded.ParentWatch;
import dev.reflex.embedded.Ports;

/**
 * reflex dev killed with SIGKILL and started again on the same data: it says in one line that it recovers, prints no
 * stack trace of Kafka Streams' task recovery, and acts on the next event at once (no waiting out the dead process's
 * group memberships). Prints how long each start took.
 */
@Tag("integration")
class DevKillTest {
    private final int kafka = Ports.freePort();
    private final int controller = Ports.freePort();
    private final int registry = Ports.freePort();
    private final int http = Ports.freePort();

    private Process start(Path data, Path log) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m",
                // the logging a user gets, not the tests' own
                "-Dlog4j2.configurationFile=log4j2.xml"));
        command.addAll(ParentWatch.arguments(System.getProperty("java.class.path"), "dev.reflex.cli.Main"));
        command.addAll(List.of(
                "dev",
                "--data-dir=" + data,
                "--kafka-port=" + kafka,
                "--kafka-controller-port=" + controller,
                "--registry-port=" + registry,
                "--http-port=" + http,
                "--rules=" + Path.of("..", "examples", "rules").toAbsolutePath()));
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
    }

    private static String read(Path log) throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    private static double awaitReady(Process process, Path log) throws Exception {
        long begin = System.nanoTime();
        long deadline = begin + Duration.ofSeconds(180).toNanos();
        while (!read(log).contains("Ready in ") && process.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(read(log)).as("reflex dev's output").contains("Ready in ");
        return (System.nanoTime() - begin) / 1e9;
    }

    private void send(String id, String subject) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http + "/events/monitoring"))
                                .header("Content-Type", "application/json")
                                .timeout(Duration.ofSeconds(30))
                                .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"" + id
                                        + "\",\"type\":\"cpu.high\",\"subject\":\"" + subject + "\",\"cpu\":97}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(202);
    }

    private static double awaitAction(Path log, String eventId) throws Exception {
        long begin = System.nanoTime();
        long deadline = begin + Duration.ofSeconds(120).toNanos();
        while (!read(log).contains("[action] ops/scale-out target=")
                || !read(log).contains("event=" + eventId + " ")) {
            if (System.nanoTime() > deadline) {
                break;
            }
            Thread.sleep(100);
        }
        assertThat(read(log)).contains("event=" + eventId + " ");
        return (System.nanoTime() - begin) / 1e9;
    }

    @Test
    void afterAKillDashNineItRecoversInOneLineAndActsOnTheNextEventAtOnce(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        Path firstLog = dir.resolve("first.log");
        Path secondLog = dir.resolve("second.log");
        Process first = start(data, firstLog);
        Process second = null;
        try {
            double fresh = awaitReady(first, firstLog);
            send("before-kill", "web-1");
            awaitAction(firstLog, "before-kill");
            first.destroyForcibly().waitFor(30, TimeUnit.SECONDS);

            second = start(data, secondLog);
            double restart = awaitReady(second, secondLog);
            send("after-kill", "web-2");
            double acted = awaitAction(secondLog, "after-kill");
            System.out.printf(
                    "reflex dev ready in %.1f s fresh, %.1f s after kill -9; the first event after it acted on in %.1f s%n",
                    fresh, restart, acted);

            String output = read(secondLog);
            assertThat(output)
                    .containsOnlyOnce("did not stop cleanly")
                    .doesNotContain("TaskCorruptedException")
                    .doesNotContain("did not find checkpoint offsets");
            assertThat(read(firstLog)).doesNotContain("did not stop cleanly");

            // a clean stop leaves nothing to recover from: the engine's run marker is gone
            Path marker = data.resolve("streams").resolve("reflex-engine").resolve("reflex-running");
            assertThat(marker).exists();
            second.destroy();
            assertThat(second.waitFor(90, TimeUnit.SECONDS))
                    .as("reflex dev stopped on SIGTERM")
                    .isTrue();
            assertThat(marker).doesNotExist();
        } finally {
            first.destroyForcibly();
            if (second != null) {
                second.destroy();
                if (!second.waitFor(60, TimeUnit.SECONDS)) {
                    second.destroyForcibly();
                }
            }
        }
    }
}
