package dev.reflex.actors.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.reflex.actors.Execution;
import dev.reflex.actors.RecordingServer;
import dev.reflex.embedded.Ports;
import dev.reflex.schemas.Action;
import dev.reflex.schemas.ActionStatus;

class HttpExecutorTest {
    private RecordingServer server;
    private final List<Long> waits = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        server = new RecordingServer();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private HttpExecutor executor(Map<String, Object> settings) {
        Map<String, Object> all = new HashMap<>(Map.of(
                HttpActorConfig.MAX_ATTEMPTS_CONFIG,
                4,
                HttpActorConfig.BACKOFF_INITIAL_MS_CONFIG,
                100L,
                HttpActorConfig.BACKOFF_MAX_MS_CONFIG,
                250L));
        all.putAll(settings);
        return new HttpExecutor(new HttpActorConfig(all, Map.of("PAGER_TOKEN", "s3cret-token")), waits::add);
    }

    private static Action action(Map<String, String> params) {
        return Action.newBuilder()
                .setId("act-1")
                .setSystem("ops")
                .setAction("restart")
                .setTarget("api-7")
                .setParams(params)
                .setEventId("e-1")
                .setEventSource("k8s")
                .setEventType("pod.oom")
                .setRuleId("r")
                .setRuleVersion("v")
                .setCreatedAt(Instant.EPOCH)
                .build();
    }

    @Test
    void aSuccessfulCallCarriesTheIdempotencyKeyHeadersAndTheActionAsBody() {
        Execution result = executor(Map.of())
                .execute(action(Map.of("url", server.url("/ok"), "header.X-Team", "sre", "pod", "api-7")));
        assertThat(result.status()).isEqualTo(ActionStatus.SUCCEEDED);
        assertThat(result.attempts()).isEqualTo(1);
        assertThat(result.httpStatus()).isEqualTo(200);
        assertThat(result.output()).isEqualTo("answer 200");
        RecordingServer.Request request = server.to("/ok").get(0);
        assertThat(request.method()).isEqualTo("POST");
        assertThat(request.header("Idempotency-Key")).isEqualTo("act-1");
        assertThat(request.header("X-Team")).isEqualTo("sre");
        assertThat(request.body())
                .contains("\"id\":\"act-1\"", "\"params\":{\"pod\":\"api-7\"}")
                .doesNotContain("url");
    }

    @Test
    void aPathIsResolvedAgainstTheBaseUrl() {
        Execution result = executor(Map.of(HttpActorConfig.BASE_URL_CONFIG, server.url("/api/")))
                .execute(action(Map.of("url", "/restart")));
        assertThat(result.status()).isEqualTo(ActionStatus.SUCCEEDED);
        assertThat(server.to("/api/restart")).hasSize(1);
    }

    @Test
    void serverErrorsAreRetriedWithGrowingJitteredBackoffUntilSuccess() {
        server.answer("/flaky", 503, 500, 429, 200);
        Execution result = executor(Map.of()).execute(action(Map.of("url", server.url("/flaky"))));
        assertThat(result.status()).isEqualTo(ActionStatus.SUCCEEDED);
        assertThat(result.attempts()).isEqualTo(4);
        assertThat(server.to("/flaky"))
                .hasSize(4)
                .allSatisfy(r -> assertThat(r.header("Idempotency-Key")).isEqualTo("act-1"));
        assertThat(waits).hasSize(3);
        assertThat(waits.get(0)).isBetween(0L, 100L);
        assertThat(waits.get(1)).isBetween(0L, 200L);
        assertThat(waits.get(2)).isBetween(0L, 250L);
    }

    @Test
    void clientErrorsAreNotRetried() {
        server.answer("/bad", 400);
        Execution result = executor(Map.of()).execute(action(Map.of("url", server.url("/bad"))));
        assertThat(result.status()).isEqualTo(ActionStatus.FAILED);
        assertThat(result.attempts()).isEqualTo(1);
        assertThat(result.error()).isEqualTo("HTTP 400 (not retried)");
        assertThat(waits).isEmpty();
    }

    @Test
    void attemptsAndDeadlineBoundTheRetries() {
        server.answer("/down", 500);
        Execution exhausted = executor(Map.of()).execute(action(Map.of("url", server.url("/down"))));
        assertThat(exhausted.status()).isEqualTo(ActionStatus.FAILED);
        assertThat(exhausted.attempts()).isEqualTo(4);
        assertThat(exhausted.error()).isEqualTo("HTTP 500 after 4 attempts");

        waits.clear();
        Execution late = executor(Map.of(
                        HttpActorConfig.DEADLINE_MS_CONFIG, 1L, HttpActorConfig.BACKOFF_INITIAL_MS_CONFIG, 5_000L))
                .execute(action(Map.of("url", "http://127.0.0.1:" + Ports.freePort() + "/nobody-listens")));
        assertThat(late.status()).isEqualTo(ActionStatus.FAILED);
        assertThat(late.error()).contains("ConnectException").contains("deadline of 1 ms reached");
    }

    @Test
    void aCredentialIsSentOnlyToItsUrlPrefixAndNeverAppearsInTheResult() {
        Map<String, Object> settings = Map.of(
                "credential.pager.url.prefix", server.url("/pager/"),
                "credential.pager.value.env", "PAGER_TOKEN",
                "credential.pager.header", "X-Api-Key");
        Execution ok =
                executor(settings).execute(action(Map.of("url", server.url("/pager/trigger"), "credential", "pager")));
        assertThat(ok.status()).isEqualTo(ActionStatus.SUCCEEDED);
        assertThat(server.to("/pager/trigger").get(0).header("X-Api-Key")).isEqualTo("s3cret-token");

        Execution elsewhere =
                executor(settings).execute(action(Map.of("url", server.url("/attacker"), "credential", "pager")));
        assertThat(elsewhere.status()).isEqualTo(ActionStatus.FAILED);
        assertThat(elsewhere.error()).isEqualTo("credential 'pager' may only be sent to " + server.url("/pager/"));
        assertThat(server.to("/attacker")).isEmpty();
        assertThat(ok.toString() + elsewhere).doesNotContain("s3cret-token");
        assertThat(new HttpActorConfig(settings, Map.of("PAGER_TOKEN", "s3cret-token"))
                        .credential("pager")
                        .toString())
                .doesNotContain("s3cret-token");
    }

    @Test
    void actionsCannotSetReservedHeadersOrUseOtherSchemes() {
        assertThat(executor(Map.of())
                        .execute(action(Map.of("url", server.url("/ok"), "header.Idempotency-Key", "x")))
                        .error())
                .isEqualTo("header 'Idempotency-Key' cannot be set by an action");
        assertThat(executor(Map.of())
                        .execute(action(Map.of("url", "file:///etc/passwd")))
                        .error())
                .contains("needs a 'url' param with an http or https URL");
        assertThat(server.requests).isEmpty();
    }
}
