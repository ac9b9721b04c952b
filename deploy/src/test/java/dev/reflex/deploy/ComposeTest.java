package dev.reflex.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import dev.reflex.embedded.Ports;
import dev.reflex.embedded.testing.Docker;
import dev.reflex.embedded.testing.Images;
import dev.reflex.embedded.testing.TopicRecords;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.registry.SchemaRegistryClient;
import dev.reflex.schemas.serde.ReflexSerdes;

/**
 * docker-compose.yml run for real: the tour's alert goes through the webhook connector, an engine, the HTTP actor
 * and the stand-in service, and the action's result comes back and is decided; then one engine is killed (SIGKILL)
 * and the other decides every event sent after, nothing lost.
 */
@Tag("docker")
class ComposeTest {
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String TOKEN = "compose-test-" + UUID.randomUUID();
    private static final String PROJECT =
            "reflextest" + UUID.randomUUID().toString().substring(0, 8);
    private static final Map<String, String> ENV = new HashMap<>();
    private static boolean up;

    @BeforeAll
    static void up() throws Exception {
        Docker.requireOrSkip();
        Images.build();
        ENV.put("REFLEX_HTTP_PORT", Integer.toString(Ports.freePort()));
        ENV.put("REFLEX_API_PORT", Integer.toString(Ports.freePort()));
        ENV.put("REFLEX_KAFKA_PORT", Integer.toString(Ports.freePort()));
        ENV.put("REFLEX_REGISTRY_PORT", Integer.toString(Ports.freePort()));
        ENV.put("REFLEX_WEBHOOK_TOKEN", TOKEN);
        up = true;
        compose(Duration.ofMinutes(3), "up", "-d", "--no-build").orThrow("compose up");
    }

    @AfterAll
    static void down() {
        if (up) {
            compose(Duration.ofMinutes(2), "down", "-v", "--remove-orphans");
        }
    }

    @Test
    void theTourRunsAndAKilledEngineIsTakenOverWithNothingLost() throws Exception {
        try {
            tourAndTakeOver();
        } catch (AssertionError e) {
            // what each container said, for whoever reads the failure
            throw new AssertionError(
                    e.getMessage() + "\n--- compose logs ---\n"
                            + compose(Duration.ofSeconds(60), "logs", "--no-color", "--tail=40")
                                    .output(),
                    e);
        }
    }

    private void tourAndTakeOver() throws Exception {
        String webhook = "http://127.0.0.1:" + ENV.get("REFLEX_HTTP_PORT");
        awaitHealthy(webhook + "/health", Duration.ofMinutes(3));
        ReflexSerdes serdes = new ReflexSerdes(
                new SchemaRegistryClient("http://127.0.0.1:" + ENV.get("REFLEX_REGISTRY_PORT") + "/apis/ccompat/v7"),
                false);
        String kafka = "127.0.0.1:" + ENV.get("REFLEX_KAFKA_PORT");
        TopicNames names = new TopicNames(TopicNames.DEFAULT_PREFIX);

        // the tour: Alertmanager reports checkout down; the HTTP actor restarts it; the result is decided
        HttpResponse<String> alert = post(
                webhook + "/alertmanager",
                Files.readString(Images.repo().resolve("examples/events/alertmanager-service-down.json")));
        assertThat(alert.statusCode()).as(alert.body()).isEqualTo(202);
        List<Decision> decided = decisions(
                kafka,
                names,
                serdes,
                list -> list.stream().anyMatch(d -> d.getEventType().equals("action.succeeded")));
        assertThat(decided).extracting(Decision::getEventType).contains("alert.firing", "action.succeeded");
        assertThat(compose(Duration.ofSeconds(30), "logs", "service-manager").output())
                .contains("[service-manager] restarted checkout");

        // both engines in the group; kill one, and the other decides everything sent after
        Set<String> instances =
                decided.stream().map(Decision::getEngineInstance).collect(Collectors.toSet());
        assertThat(instances).isSubsetOf("engine-1", "engine-2");
        String engine1 = compose(Duration.ofSeconds(30), "ps", "-q", "engine-1")
                .orThrow("compose ps")
                .output()
                .strip();
        Docker.run(Duration.ofSeconds(30), "docker", "kill", engine1).orThrow("docker kill engine-1");
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            String id = "after-kill-" + i;
            ids.add(id);
            HttpResponse<String> sent = post(
                    webhook + "/events/monitoring",
                    "{\"id\":\"" + id + "\",\"type\":\"cpu.high\",\"subject\":\"web-" + i + "\",\"cpu\":97}");
            assertThat(sent.statusCode()).as(sent.body()).isEqualTo(202);
        }
        List<Decision> after = decisions(
                        kafka,
                        names,
                        serdes,
                        list -> list.stream()
                                .map(Decision::getEventId)
                                .collect(Collectors.toSet())
                                .containsAll(ids))
                .stream()
                .filter(d -> ids.contains(d.getEventId()))
                .toList();
        assertThat(after).extracting(Decision::getEventId).containsAll(ids);
        assertThat(after).extracting(Decision::getEngineInstance).containsOnly("engine-2");
    }

    private static List<Decision> decisions(
            String kafka, TopicNames names, ReflexSerdes serdes, Predicate<List<Decision>> enough) {
        return TopicRecords.readUntil(
                        kafka,
                        names.decisions(),
                        new StringDeserializer(),
                        serdes.value(Decision.class).deserializer(),
                        records ->
                                enough.test(records.stream().map(r -> r.value()).toList()),
                        Duration.ofMinutes(4))
                .stream()
                .map(r -> r.value())
                .toList();
    }

    private static HttpResponse<String> post(String url, String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            // a kept-alive connection the connector closed after its idle timeout (10 s), seen only when written to
            // through
            // Docker's port proxy: nothing was read, so sending again is safe (and the events carry ids)
            if (e.getMessage() == null || !e.getMessage().contains("received no bytes")) {
                throw e;
            }
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        }
    }

    private static void awaitHealthy(String url, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> health = HTTP.send(
                        HttpRequest.newBuilder(URI.create(url))
                                .timeout(Duration.ofSeconds(5))
                                .GET()
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                if (health.statusCode() == 200) {
                    return;
                }
                last = health.statusCode() + " " + health.body();
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(1000);
        }
        throw new AssertionError(url + " not healthy within " + timeout.toSeconds() + " s (" + last + "):\n"
                + compose(Duration.ofSeconds(30), "logs", "--tail=30").output());
    }

    static Docker.Result compose(Duration timeout, String... args) {
        List<String> command = new ArrayList<>(Docker.compose());
        command.addAll(List.of(
                "-p", PROJECT, "-f", Images.repo().resolve("docker-compose.yml").toString()));
        command.addAll(List.of(args));
        return Docker.run(timeout, ENV, Images.repo(), command);
    }
}
