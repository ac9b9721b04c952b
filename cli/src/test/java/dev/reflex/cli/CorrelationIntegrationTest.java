package dev.reflex.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.reflex.engine.EngineApiClient;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.DecisionDetail;
import dev.reflex.schemas.Outcome;
import dev.reflex.schemas.RuleOutcome;

/**
 * Correlation on a real broker, told and audited: a count that fires, a deadline that fires from the wall clock, then
 * {@code reflex explain} of each, the engine's API, {@code reflex replay} re-running every correlation step from the
 * state it recorded, and what-if simulating a proposed count.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CorrelationIntegrationTest {
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String RULES = """
        id: page-on-failures
        when: {source: ops, type: restart.failed}
        correlate:
          count: {atLeast: 2, within: 10m}
        then:
          - {system: oncall, action: page, params: {summary: "${correlation.key}: ${correlation.count} failures"}}
        ---
        id: still-firing
        when: {source: ops, type: alert.firing}
        correlate:
          unless: {source: ops, type: alert.resolved, within: 2s}
        then:
          - {system: oncall, action: page, params: {summary: "${correlation.key} firing since ${correlation.armedAt}"}}
        """;

    private EngineUnderTest it;
    private String deadlineFiring;

    @BeforeAll
    void recordAHistory() throws Exception {
        it = new EngineUnderTest("co", "correlation-engine", Map.of("rules.yaml", RULES));
        post("f1", "restart.failed", "checkout");
        post("f2", "restart.failed", "checkout");
        post("a1", "alert.firing", "disk-full");
        // three events' own decisions, three correlation steps, and the deadline's firing two seconds later
        List<Decision> decisions = awaitDecisions(7);
        Decision fired = decisions.stream()
                .filter(d -> d.getEventType().equals("correlation.deadline"))
                .findFirst()
                .orElseThrow();
        deadlineFiring = fired.getEventId();
        assertThat(fired.getRules().get(0).getOutcome()).isEqualTo(Outcome.FIRED);
        assertThat(fired.getRules().get(0).getCorrelation().getLateMs()).isBetween(0L, 2_000L);
    }

    @AfterAll
    void stop() {
        if (it != null) {
            it.close();
        }
    }

    private void post(String id, String type, String subject) throws Exception {
        it.post("ops", "{\"id\":\"" + id + "\",\"type\":\"" + type + "\",\"subject\":\"" + subject + "\"}");
    }

    private List<Decision> awaitDecisions(int count) {
        return it.cli.awaitDecisions(count);
    }

    private ClusterCli.Run reflex(String... args) {
        return it.cli.run(args);
    }

    @Test
    @Order(1)
    void explainTellsWhatCorrelationMadeOfEachEventAndOfTheDeadline() {
        ClusterCli.Run first = reflex("explain", "f1", "--engine-url", "none");
        assertThat(first.exit()).as(first.err()).isZero();
        assertThat(first.out())
                .contains("event f1   ops / restart.failed   subject checkout")
                .containsPattern(
                        "counted   page-on-failures  \\(version [0-9a-f]{12}\\): 1 of 2 within 10m, first at ");
        ClusterCli.Run second = reflex("explain", "f2", "--engine-url", "none");
        assertThat(second.out())
                .containsPattern("FIRED     page-on-failures  \\(version [0-9a-f]{12}\\): 2 within 10m")
                .contains("-> oncall page checkout {summary=checkout: 2 failures}");

        ClusterCli.Run deadline = reflex("explain", deadlineFiring, "--engine-url", "none");
        assertThat(deadline.exit()).as(deadline.err()).isZero();
        assertThat(deadline.out())
                .contains("correlation deadline " + deadlineFiring + "   rule still-firing   key disk-full")
                .contains("by event a1, due at ")
                .contains("('reflex explain a1' tells that event's story)")
                .containsPattern(
                        "FIRED     still-firing  \\(version [0-9a-f]{12}\\): no 'unless' event within 2s; due at ");
        ClusterCli.Run armed = reflex("explain", "a1", "--engine-url", "none");
        assertThat(armed.out())
                .containsPattern(
                        "armed     still-firing  \\(version [0-9a-f]{12}\\): due at .* unless an 'unless' event");
    }

    @Test
    @Order(2)
    void theEnginesApiFoldsTheCorrelationStepIntoTheEventsDecisionAndShowsWhatARuleCorrelates() throws Exception {
        HttpResponse<String> rules = HTTP.send(
                HttpRequest.newBuilder(URI.create(it.apiUrl() + "/api/rules/page-on-failures"))
                        .timeout(Duration.ofSeconds(10))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(rules.statusCode()).isEqualTo(200);
        JsonNode rule = new ObjectMapper().readTree(rules.body());
        assertThat(rule.get("correlate").get("count").get("atLeast").asInt()).isEqualTo(2);
        assertThat(rule.get("correlate").get("count").get("within").asText()).isEqualTo("10m");
        Decision f2 = EngineApiClient.decision(it.apiUrl(), null, "f2").orElseThrow();
        assertThat(f2.getDetail()).isEqualTo(DecisionDetail.FULL);
        assertThat(f2.getRules()).extracting(RuleOutcome::getOutcome).containsExactly(Outcome.FIRED);
        assertThat(f2.getActionIds()).hasSize(1);
    }

    @Test
    @Order(3)
    void auditReRunsEveryCorrelationStepFromTheStateItRecorded() {
        ClusterCli.Run run = reflex("replay", "--from", "1h");
        assertThat(run.exit()).as(run.out() + run.err()).isZero();
        assertThat(run.out())
                .contains(
                        "3 events, 7 decisions checked (4 of them correlation and flow steps, re-run from the state each recorded): "
                                + "7 reproduced, 0 did not");
    }

    @Test
    @Order(4)
    void whatIfSimulatesAProposedCorrelationFromAnEmptyStateAndSaysSo() throws Exception {
        Path proposed = Files.createDirectories(it.dir.resolve("proposed"));
        Files.writeString(proposed.resolve("rules.yaml"), RULES.replace("atLeast: 2", "atLeast: 3"));
        ClusterCli.Run run = reflex("replay", "--from", "1h", "--rules", proposed.toString());
        assertThat(run.exit()).as(run.out() + run.err()).isZero();
        assertThat(run.out())
                .containsPattern("rule page-on-failures \\(changed\\)\\R  would stop firing +1   e\\.g\\. f2\\R")
                .contains("note: correlation rules were simulated over these events (");
        // the simulation's clock runs to the end of the range: the deadline armed by a1 fires there too
        assertThat(run.out()).doesNotContain("rule still-firing");
    }
}
