package dev.reflex.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import dev.reflex.embedded.testing.TopicRecords;
import dev.reflex.schemas.Action;
import dev.reflex.schemas.ActionResult;
import dev.reflex.schemas.ActionStatus;
import dev.reflex.schemas.FlowTransition;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.TransitionKind;
import dev.reflex.schemas.serde.ReflexSerdes;

/**
 * Flows on a real broker, operated from the command line: started by webhook events, an action's result reaching its
 * instance by correlation id, a signal, a cancel; then {@code reflex flows list | show}, {@code reflex explain} and the
 * audit of every flow input.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FlowIntegrationTest {
    private static final String FLOW = """
        kind: flow
        id: gate
        start: {when: {source: ops, type: change.requested}}
        steps:
          - id: approval
            wait: {for: {source: chat, type: change.approved}, timeout: 1h}
            next: {event: apply, timeout: end}
          - id: apply
            do: {system: deployer, action: apply, params: {by: "${event.data.by}"}}
            timeout: 5m
          - id: done
            set: {context: {applied: "yes"}}
        """;

    private EngineUnderTest it;
    private ClusterCli cli;
    private String bootstrap;
    private TopicNames names;
    private ReflexSerdes serdes;

    @BeforeAll
    void start() throws Exception {
        it = new EngineUnderTest("fl", "flow-engine", Map.of("gate.yaml", FLOW));
        cli = it.cli;
        bootstrap = it.bootstrap;
        names = it.names;
        serdes = it.serdes;
    }

    @AfterAll
    void stop() {
        if (it != null) {
            it.close();
        }
    }

    private void post(String source, String json) throws Exception {
        it.post(source, json);
    }

    private List<FlowTransition> awaitTransitions(int count) {
        List<FlowTransition> read = TopicRecords.readUntil(
                        bootstrap,
                        names.flows(),
                        new StringDeserializer(),
                        serdes.value(FlowTransition.class).deserializer(),
                        TopicRecords.atLeast(count),
                        Duration.ofSeconds(60))
                .stream()
                .map(r -> r.value())
                .toList();
        assertThat(read).as("transitions").hasSizeGreaterThanOrEqualTo(count);
        return read;
    }

    @Test
    @Order(1)
    void aSignalAndAResultByCorrelationIdCarryAnInstanceToItsEndAndACancelStopsAnother() throws Exception {
        post("ops", "{\"id\":\"c1\",\"type\":\"change.requested\",\"subject\":\"CHG-1\"}");
        post("ops", "{\"id\":\"c2\",\"type\":\"change.requested\",\"subject\":\"CHG-2\"}");
        awaitTransitions(4); // started and waiting, twice

        ClusterCli.Run list = cli.run("flows", "list");
        assertThat(list.exit()).as(list.err()).isZero();
        assertThat(list.out())
                .containsPattern("gate +CHG-1 +1 running .*waiting approval")
                .containsPattern("gate +CHG-2 +1 running");

        Path approval = it.dir.resolve("approve.json");
        Files.writeString(
                approval,
                "{\"specversion\":\"1.0\",\"id\":\"ok-1\",\"source\":\"chat\",\"type\":\"change.approved\","
                        + "\"subject\":\"CHG-1\",\"data\":{\"by\":\"maria\"}}");
        ClusterCli.Run signal = cli.run("flows", "signal", "gate", "CHG-1", "--event", approval.toString());
        assertThat(signal.out()).contains("signal ok-1 (chat / change.approved) sent to gate CHG-1");
        List<Action> applied = TopicRecords.readUntil(
                        bootstrap,
                        names.actions("deployer"),
                        new StringDeserializer(),
                        serdes.value(Action.class).deserializer(),
                        TopicRecords.atLeast(1),
                        Duration.ofSeconds(60))
                .stream()
                .map(r -> r.value())
                .toList();
        assertThat(applied).singleElement().satisfies(a -> {
            assertThat(a.getParams()).containsEntry("by", "maria");
            assertThat(a.getCorrelationid()).isEqualTo("flow:gate/CHG-1");
        });
        Action action = applied.get(0);
        try (KafkaProducer<String, ActionResult> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", bootstrap),
                new StringSerializer(),
                serdes.value(ActionResult.class).serializer())) {
            producer.send(new ProducerRecord<>(
                            names.actionResults(),
                            action.getId(),
                            ActionResult.newBuilder()
                                    .setActionId(action.getId())
                                    .setSystem("deployer")
                                    .setAction("apply")
                                    .setTarget(action.getTarget())
                                    .setStatus(ActionStatus.SUCCEEDED)
                                    .setAttempts(1)
                                    .setEventId(action.getEventId())
                                    .setRuleId("gate")
                                    .setCorrelationid(action.getCorrelationid())
                                    .setFinishedAt(Instant.now())
                                    .build()))
                    .get();
        }
        ClusterCli.Run cancel = cli.run("flows", "cancel", "gate", "CHG-2", "--reason", "withdrawn");
        assertThat(cancel.exit()).as(cancel.err()).isZero();

        List<FlowTransition> all = awaitTransitions(10);
        assertThat(all)
                .filteredOn(t -> t.getKey().equals("CHG-1"))
                .extracting(FlowTransition::getKind)
                .containsSubsequence(
                        TransitionKind.STARTED,
                        TransitionKind.WAITING,
                        TransitionKind.RESULT,
                        TransitionKind.STEP_STARTED,
                        TransitionKind.RESULT,
                        TransitionKind.STEP_STARTED,
                        TransitionKind.ENDED);
        assertThat(all)
                .filteredOn(t -> t.getKey().equals("CHG-2"))
                .extracting(FlowTransition::getKind)
                .last()
                .isEqualTo(TransitionKind.CANCELLED);
    }

    @Test
    @Order(2)
    void showTellsTheStateFromTheEngineAndTheHistoryFromTheTopic() {
        ClusterCli.Run show = cli.run("flows", "show", "gate", "CHG-1", "--engine-url", it.apiUrl());
        assertThat(show.exit()).as(show.err()).isZero();
        assertThat(show.out())
                .contains(
                        "flow gate   key CHG-1",
                        "run 1 ended",
                        "context.applied = \"yes\"",
                        "run 1  waiting approval: for chat / change.approved until",
                        "run 1  result approval: event ok-1 (chat / change.approved) came",
                        "run 1  step started apply: deployer apply CHG-1 (attempt 1)",
                        "run 1  ended: run 1 ended");
        ClusterCli.Run cancelled = cli.run("flows", "show", "gate", "CHG-2", "--engine-url", "none");
        assertThat(cancelled.out()).contains("cancelled: withdrawn");
        ClusterCli.Run rules = cli.run("rules", "list");
        assertThat(rules.out())
                .containsPattern("gate +[0-9a-f]{12} +true +flow, starts on source ops, type change.requested")
                .contains("0 rules, 1 flows");
        ClusterCli.Run all = cli.run("flows", "list", "--all");
        assertThat(all.out()).containsPattern("gate +CHG-1 +1 ended").containsPattern("gate +CHG-2 +1 cancelled");
    }

    @Test
    @Order(3)
    void explainFoldsTheFlowsStepIntoTheEventsStoryAndTheAuditReRunsEveryFlowInput() {
        ClusterCli.Run explain = cli.run("explain", "c1", "--engine-url", "none");
        assertThat(explain.exit()).as(explain.err()).isZero();
        assertThat(explain.out())
                .containsPattern("ADVANCED  gate  \\(version [0-9a-f]{12}\\): started: run 1 of version [0-9a-f]{12} "
                        + "started by c1; waiting approval");
        ClusterCli.Run audit = cli.run("replay", "--from", "1h");
        assertThat(audit.exit()).as(audit.out() + audit.err()).isZero();
        assertThat(audit.out())
                .containsPattern("\\d+ events, \\d+ decisions checked \\(\\d+ of them correlation and flow steps, "
                        + "re-run from the state each recorded\\): \\d+ reproduced, 0 did not");
    }
}
