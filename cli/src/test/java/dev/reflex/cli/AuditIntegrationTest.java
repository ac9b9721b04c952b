package dev.reflex.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
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

import dev.reflex.audit.publish.RulesTopic;
import dev.reflex.engine.EngineApiClient;
import dev.reflex.schemas.ActionResult;
import dev.reflex.schemas.ActionStatus;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.KafkaConnection;
import dev.reflex.schemas.Outcome;
import dev.reflex.schemas.RuleOutcome;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.serde.ReflexSerdes;

/**
 * Audit and replay against a real engine's history: events through the webhook, a rule changed half-way, then
 * {@code reflex replay} (audit and what-if), {@code reflex explain} and the engine's API.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AuditIntegrationTest {
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String RESTART = """
        id: restart
        when:
          source: k8s
          type: pod.oom
          condition: event.data.restarts < LIMIT
        then:
          - system: ops
            action: restart
            params:
              pod: ${event.subject}
          - incr: restarts.${event.subject}
        """;
    private static final String NOTICE = """
        id: notice
        when:
          source: k8s
          condition: num(coalesce(registers['restarts.' + event.subject], '0')) >= 2
        then:
          - system: chat
            action: post
            params:
              text: "${event.subject} restarted often"
        """;

    private EngineUnderTest it;
    private Path dir;
    private TopicNames names;
    private ReflexSerdes serdes;
    private String bootstrap;
    private ClusterCli cli;

    @BeforeAll
    void recordAHistory() throws Exception {
        it = new EngineUnderTest(
                "au", "audit-engine", Map.of("restart.yaml", RESTART.replace("LIMIT", "3"), "notice.yaml", NOTICE));
        dir = it.dir;
        names = it.names;
        serdes = it.serdes;
        bootstrap = it.bootstrap;
        cli = it.cli;
        Path rules = it.rules;

        // e0..e5 under restart < 3; then the rule becomes restart < 2 and f0..f3 follow. One subject, one partition:
        // one order.
        for (int i = 0; i < 6; i++) {
            post("e" + i, i);
        }
        awaitDecisions(6);
        Files.writeString(rules.resolve("restart.yaml"), RESTART.replace("LIMIT", "2"));
        it.apply();
        String v2 = live().get("restart");
        for (int i = 0; i < 4; i++) {
            // the engine picks a rule change up from the topic: wait until f-events are decided with the new version
            post("f" + i, i);
        }
        List<Decision> decisions = awaitDecisions(10);
        assertThat(decisions.stream().filter(d -> d.getEventId().startsWith("f")))
                .allSatisfy(d -> assertThat(d.getRules())
                        .filteredOn(r -> r.getRuleId().equals("restart"))
                        .extracting(RuleOutcome::getRuleVersion)
                        .containsExactly(v2));
    }

    @AfterAll
    void stop() {
        if (it != null) {
            it.close();
        }
    }

    private Map<String, String> live() {
        Map<String, String> versions = new HashMap<>();
        new RulesTopic(KafkaConnection.plaintext(bootstrap), names, serdes)
                .read()
                .forEach((id, rule) -> versions.put(id, rule.getVersion()));
        return versions;
    }

    private void post(String id, int restarts) throws Exception {
        it.post(
                "k8s",
                "{\"id\":\"" + id + "\",\"type\":\"pod.oom\",\"subject\":\"pod-1\",\"restarts\":" + restarts + "}");
    }

    private List<Decision> awaitDecisions(int count) {
        return cli.awaitDecisions(count);
    }

    private ClusterCli.Run reflex(String... args) {
        return cli.run(args);
    }

    private JsonNode getJson(String path, int status) throws Exception {
        HttpResponse<String> response = HTTP.send(
                HttpRequest.newBuilder(URI.create(it.apiUrl() + path))
                        .timeout(Duration.ofSeconds(10))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(status);
        return new ObjectMapper().readTree(response.body());
    }

    @Test
    @Order(1)
    void theApiServesRulesRegistersAndRecentDecisionsFromTheEnginesState() throws Exception {
        JsonNode rules = getJson("/api/rules", 200);
        assertThat(rules).extracting(r -> r.get("id").asText()).containsExactly("notice", "restart");
        assertThat(rules.get(1).get("version").asText()).isEqualTo(live().get("restart"));
        assertThat(rules.get(1).get("status").asText()).isEqualTo("active");
        assertThat(getJson("/api/rules/restart", 200).get("condition").asText()).isEqualTo("event.data.restarts < 2");
        getJson("/api/rules/nope", 404);

        // e0, e1, e2 and f0, f1 fired restart: 5 increments, applied by the register's owner (this instance)
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        JsonNode register = null;
        while (System.nanoTime() < deadline) {
            HttpResponse<String> r = HTTP.send(
                    HttpRequest.newBuilder(URI.create(it.apiUrl() + "/api/registers/restarts.pod-1"))
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200
                    && (register = new ObjectMapper().readTree(r.body()))
                            .get("value")
                            .asText()
                            .equals("5")) {
                break;
            }
            Thread.sleep(200);
        }
        assertThat(register).isNotNull();
        assertThat(register.get("value").asText()).isEqualTo("5");
        assertThat(register.get("servedBy").asText()).endsWith("(owner)");
        getJson("/api/registers/never.set", 404);

        Optional<Decision> decision = EngineApiClient.decision(it.apiUrl(), null, "e1");
        assertThat(decision).hasValueSatisfying(d -> {
            assertThat(d.getEventId()).isEqualTo("e1");
            assertThat(d.getRules())
                    .extracting(RuleOutcome::getOutcome)
                    .containsExactly(Outcome.CONDITION_FALSE, Outcome.MATCHED);
        });
        assertThat(EngineApiClient.decision(it.apiUrl(), null, "unknown-id")).isEmpty();
        assertThat(EngineApiClient.decision("http://127.0.0.1:1", null, "e1"))
                .as("engine unreachable")
                .isEmpty();
    }

    @Test
    @Order(2)
    void explainNamesTheFailingSubConditionWithTheValueItSaw() throws Exception {
        ClusterCli.Run run = reflex("explain", "e4", "--engine-url", "none");
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out())
                .contains("event e4   k8s / pod.oom   subject pod-1")
                .contains("no match  restart")
                .contains("`event.data.restarts < 3` was false: event.data.restarts = 4")
                .contains("registers read: restarts.pod-1 = ");

        // an action with a reported result: its outcome is part of the story
        Decision e0 = EngineApiClient.decision(it.apiUrl(), null, "e0").orElseThrow();
        String actionId = e0.getActionIds().get(0);
        try (KafkaProducer<String, ActionResult> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", bootstrap),
                new StringSerializer(),
                serdes.value(ActionResult.class).serializer())) {
            producer.send(new ProducerRecord<>(
                            names.actionResults(),
                            actionId,
                            ActionResult.newBuilder()
                                    .setActionId(actionId)
                                    .setSystem("ops")
                                    .setAction("restart")
                                    .setTarget("pod-1")
                                    .setStatus(ActionStatus.SUCCEEDED)
                                    .setAttempts(2)
                                    .setDurationMs(120)
                                    .setHttpStatus(200)
                                    .setEventId("e0")
                                    .setRuleId("restart")
                                    .setFinishedAt(Instant.now())
                                    .build()))
                    .get();
        }
        // the result comes back as an event (reflex / action.succeeded) and is decided too: 11 events from here on
        awaitDecisions(11);
        ClusterCli.Run json = reflex("explain", "e0", "--json", "--engine-url", it.apiUrl());
        assertThat(json.exit()).as(json.err()).isZero();
        JsonNode story = new ObjectMapper().readTree(json.out());
        assertThat(story.get("eventId").asText()).isEqualTo("e0");
        assertThat(story.get("rules"))
                .extracting(r -> r.get("id").asText() + ":" + r.get("outcome").asText())
                .containsExactly("notice:CONDITION_FALSE", "restart:MATCHED");
        assertThat(story.get("rules").get(0).get("why").asText())
                .isEqualTo("`num(coalesce(registers['restarts.' + event.subject], '0')) >= 2` was false: "
                        + "num(coalesce(registers['restarts.' + event.subject], '0')) = 0");
        JsonNode action = story.get("actions").get(0);
        assertThat(action.get("id").asText()).isEqualTo(actionId);
        assertThat(action.get("params").get("pod").asText()).isEqualTo("pod-1");
        assertThat(action.get("result").get("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(action.get("result").get("attempts").asInt()).isEqualTo(2);

        ClusterCli.Run unknown = reflex("explain", "no-such-event", "--engine-url", "none");
        assertThat(unknown.exit()).isEqualTo(ExplainCommand.EXIT_NOT_FOUND);
        assertThat(unknown.err())
                .contains("no decision for event 'no-such-event'", "unknown, or its decision has aged out");
    }

    @Test
    @Order(3)
    void auditReproducesEveryRecordedDecision() {
        ClusterCli.Run run = reflex("replay", "--from", "1h");
        assertThat(run.exit()).as(run.out() + run.err()).isZero();
        assertThat(run.out()).contains("11 events, 11 decisions checked: 11 reproduced, 0 did not");
    }

    @Test
    @Order(4)
    void whatIfListsExactlyTheEventsAProposedChangeAffects() throws Exception {
        Path proposed = Files.createDirectories(dir.resolve("proposed"));
        Files.writeString(
                proposed.resolve("restart.yaml"),
                RESTART.replace("LIMIT", "1")
                        .replace("pod: ${event.subject}", "pod: ${event.subject}\n      reason: oom"));
        Files.writeString(proposed.resolve("notice.yaml"), NOTICE);
        Files.writeString(proposed.resolve("escalate.yaml"), """
            id: escalate
            when:
              source: k8s
              condition: event.data.restarts >= 4
            then:
              - system: chat
                action: page
            """);
        ClusterCli.Run run = reflex("replay", "--from", "1h", "--rules", proposed.toString());
        assertThat(run.exit()).as(run.out() + run.err()).isZero();
        String out = run.out();
        assertThat(out).contains("11 events evaluated; live rules: 1 added, 1 changed, 0 removed");
        assertThat(out).containsPattern("rule escalate \\(new\\)\\R  would newly fire +2   e\\.g\\. e4, e5\\R");
        assertThat(out)
                .containsPattern("rule restart \\(changed\\)\\R  would stop firing +3   e\\.g\\. e1, e2, f1\\R"
                        + "  different actions +2   e\\.g\\. e0, f0\\R");
        assertThat(out).doesNotContain("rule notice");
    }

    @Test
    @Order(5)
    void anAlteredDecisionFailsTheAuditAndIsNamed() throws Exception {
        // a decision claiming restart fired for an event with 9 restarts, which its rule version says cannot happen
        Decision genuine = EngineApiClient.decision(it.apiUrl(), null, "e5").orElse(null);
        it.stopEngine();
        assertThat(genuine).isNotNull();
        Event forged = Event.newBuilder()
                .setId("forged")
                .setSource("k8s")
                .setType("pod.oom")
                .setSubject("pod-1")
                .setTime(Instant.now())
                .setData("{\"restarts\":9}")
                .build();
        Decision altered = Decision.newBuilder(genuine).setEventId("forged").build();
        altered.getRules()
                .replaceAll(r -> r.getRuleId().equals("restart")
                        ? RuleOutcome.newBuilder(r).setOutcome(Outcome.MATCHED).build()
                        : r);
        long now = System.currentTimeMillis();
        try (KafkaProducer<String, Event> events = new KafkaProducer<>(
                        Map.of("bootstrap.servers", bootstrap),
                        new StringSerializer(),
                        serdes.value(Event.class).serializer());
                KafkaProducer<String, Decision> decisions = new KafkaProducer<>(
                        Map.of("bootstrap.servers", bootstrap),
                        new StringSerializer(),
                        serdes.value(Decision.class).serializer())) {
            events.send(new ProducerRecord<>(names.events(), null, now, "pod-1", forged))
                    .get();
            decisions
                    .send(new ProducerRecord<>(names.decisions(), null, now, "forged", altered))
                    .get();
        }
        ClusterCli.Run run = reflex("replay", "--from", "1h");
        assertThat(run.exit()).as(run.out() + run.err()).isEqualTo(ReplayCommand.EXIT_NOT_REPRODUCED);
        assertThat(run.out())
                .contains("12 events, 12 decisions checked: 11 reproduced, 1 did not:")
                .contains("forged (k8s / pod.oom")
                .contains("rule restart: recorded MATCHED, replayed CONDITION_FALSE");
    }
}
