package dev.reflex.dev;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.reflex.embedded.Ports;

/** reflex dev as a user meets it: the example rules, the printed curl line, and the action it leads to. */
@Tag("integration")
class DevEnvironmentTest {

    @Test
    void theEventFromTheBannerLeadsToAPrintedAction(@TempDir Path data) throws Exception {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8);
        DevEnvironment.Options options = new DevEnvironment.Options(
                data,
                Ports.freePort(),
                Ports.freePort(),
                Ports.freePort(),
                Ports.freePort(),
                Path.of("..", "examples", "rules"));
        try (DevEnvironment dev = DevEnvironment.start(options, out)) {
            String banner = buffer.toString(StandardCharsets.UTF_8);
            assertThat(banner).contains("[7/7]", "Ready in", "rules from").doesNotContain("failed");
            String body = banner.replaceAll("(?s).*-d '(\\{.*?\\})'.*", "$1");
            assertThat(body).isEqualTo("{\"type\":\"cpu.high\",\"subject\":\"web-1\",\"cpu\":97}");

            HttpResponse<String> response = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create(dev.webhookUrl() + "/events/monitoring"))
                                    .header("Content-Type", "application/json")
                                    .timeout(Duration.ofSeconds(30))
                                    .POST(HttpRequest.BodyPublishers.ofString(body))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(202);

            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            // the rule's two actions go to two topics, which the log actor prints in whatever order it fetches them
            while (!(buffer.toString(StandardCharsets.UTF_8).contains("[action] ops/scale-out")
                            && buffer.toString(StandardCharsets.UTF_8).contains("[action] chat/notify"))
                    && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(buffer.toString(StandardCharsets.UTF_8))
                    .contains("[action] ops/scale-out target=web-1 params={host=web-1, reason=cpu at 97%}")
                    .contains("[action] chat/notify target=#ops params={text=Scaling out web-1: cpu at 97%}");

            // the worked scenario: an alert, a restart through the HTTP actor, and the outcome reported by a second
            // rule
            HttpResponse<String> alert = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create(dev.webhookUrl() + "/alertmanager"))
                                    .header("Content-Type", "application/json")
                                    .timeout(Duration.ofSeconds(30))
                                    .POST(HttpRequest.BodyPublishers.ofFile(
                                            Path.of("..", "examples", "events", "alertmanager-service-down.json")))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(alert.statusCode()).isEqualTo(202);
            String reported =
                    "[action] chat/notify target=#ops params={text=Restart of checkout: succeeded after 1 attempt(s)}";
            deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!buffer.toString(StandardCharsets.UTF_8).contains(reported) && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(buffer.toString(StandardCharsets.UTF_8))
                    .contains("[action] service-manager/restart target=checkout")
                    .contains("[service-manager] restarted checkout (Idempotency-Key ")
                    .contains(reported);
        }
    }
}
