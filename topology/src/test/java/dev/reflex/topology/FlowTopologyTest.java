package dev.reflex.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;

import dev.reflex.rules.flow.FlowRunner;
import dev.reflex.schemas.Action;
import dev.reflex.schemas.ActionResult;
import dev.reflex.schemas.ActionStatus;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.DecisionDetail;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.FlowInstance;
import dev.reflex.schemas.FlowStatus;
import dev.reflex.schemas.FlowTransition;
import dev.reflex.schemas.Outcome;
import dev.reflex.schemas.Rule;

/** Flows through the real topology: every step kind, results by correlation id, timers from the wall clock, versions, removal. */
class FlowTopologyTest extends TopologyTestBase {
    private static final String DEPLOY_GUARD = """
        kind: flow
        id: deploy-guard
        start:
          when: {source: ci, type: deploy.started}
          key: ${event.data.service}
        context:
          previous: ${event.data.previous}
        steps:
          - id: healthy
            wait:
              for: {source: monitoring, type: service.healthy}
              key: ${event.data.service}
              timeout: 15m
            next: {event: end, timeout: rollback}
          - id: rollback
            do: {system: deployer, action: rollback, target: "${context.key}", params: {to: "${context.previous}"}}
            retry: {attempts: 2, backoff: 30s}
            timeout: 10m
            next: {succeeded: end, failed: page, timeout: page}
          - id: page
            do: {system: oncall, action: page, params: {summary: "SUMMARY ${context.key}"}}
        """;

    private int sequence;

    private void send(String source, String type, String subject, String data) {
        Event event = Event.newBuilder()
                .setId("e-" + ++sequence)
                .setSource(source)
                .setType(type)
                .setSubject(subject)
                .setTime(NOW)
                .setData(data)
                .build();
        eventsIn.pipeInput(subject, event, NOW);
    }

    private void result(Action action, ActionStatus status) {
        TestInputTopic<String, ActionResult> results = driver.createInputTopic(
                topics.actionResults().name(),
                topics.actionResults().keySerde().serializer(),
                topics.actionResults().valueSerde().serializer());
        results.pipeInput(
                action.getId(),
                ActionResult.newBuilder()
                        .setActionId(action.getId())
                        .setSystem(action.getSystem())
                        .setAction(action.getAction())
                        .setTarget(action.getTarget())
                        .setStatus(status)
                        .setAttempts(1)
                        .setEventId(action.getEventId())
                        .setRuleId(action.getRuleId())
                        .setCorrelationid(action.getCorrelationid())
                        .setFinishedAt(Instant.now())
                        .build());
    }

    private List<String> transitions(TestOutputTopic<String, FlowTransition> flows) {
        return flows.readValuesToList().stream().map(FlowRunner::words).toList();
    }

    private FlowInstance instance(String stateKey) {
        KeyValueStore<String, FlowInstance> store = driver.getKeyValueStore(ReflexTopology.FLOW_INSTANCES_STORE);
        return store.get(stateKey);
    }

    @Test
    void aDeployThatStaysUnhealthyIsRolledBackAfterItsWaitTimesOutAndTheResultEndsTheFlow() {
        applyRule(DEPLOY_GUARD);
        TestOutputTopic<String, FlowTransition> flows = output(topics.flows());
        send("ci", "deploy.started", "build-7", "{\"service\":\"checkout\",\"previous\":\"41\"}");
        assertThat(transitions(flows))
                .containsExactly(
                        "started: run 1 of version "
                                + instance("deploy-guard/checkout").getVersion() + " started by e-1",
                        "waiting healthy: for monitoring / service.healthy until 2026-03-01T12:15:00Z");

        driver.advanceWallClockTime(Duration.ofMinutes(15).plusSeconds(1));
        List<Action> rollbacks = values(actions("deployer"));
        assertThat(rollbacks).singleElement().satisfies(a -> {
            assertThat(a.getTarget()).isEqualTo("checkout");
            assertThat(a.getParams()).containsEntry("to", "41");
            assertThat(a.getCorrelationid()).isEqualTo("flow:deploy-guard/checkout");
            assertThat(a.getRuleId()).isEqualTo("deploy-guard");
        });
        assertThat(transitions(flows))
                .anySatisfy(t -> assertThat(t).startsWith("timed out healthy: no event within 15m"))
                .contains("step started rollback: deployer rollback checkout (attempt 1)");

        // an unrelated success for the same subject cannot advance it; the rollback's own result does
        send("reflex", "action.succeeded", "checkout", "{\"actionId\":\"someone-else\"}");
        assertThat(instance("deploy-guard/checkout").getStatus()).isEqualTo(FlowStatus.RUNNING);
        result(rollbacks.get(0), ActionStatus.SUCCEEDED);
        assertThat(transitions(flows))
                .containsExactly("result rollback: succeeded on attempt 1", "ended rollback: run 1 ended");
        assertThat(instance("deploy-guard/checkout").getStatus()).isEqualTo(FlowStatus.ENDED);

        List<Decision> steps = values(decisions).stream()
                .filter(d -> d.getDetail() == DecisionDetail.FLOW)
                .toList();
        assertThat(steps)
                .extracting(d -> d.getRules().get(0).getOutcome())
                .containsExactly(Outcome.ADVANCED, Outcome.ADVANCED, Outcome.ADVANCED);
        assertThat(steps.get(1).getEventId()).startsWith("flow-timer-");
        assertThat(steps.get(1).getActionIds()).containsExactly(rollbacks.get(0).getId());
        assertThat(steps.get(2).getRules().get(0).getFlow().getSeen().getThreads())
                .singleElement()
                .satisfies(t -> assertThat(t.getStep()).isEqualTo("rollback"));
    }

    @Test
    void aFailedActionIsRetriedAfterItsBackoffThenTheFlowPages() {
        applyRule(DEPLOY_GUARD);
        send("ci", "deploy.started", "build-7", "{\"service\":\"checkout\",\"previous\":\"41\"}");
        driver.advanceWallClockTime(Duration.ofMinutes(16));
        Action first = values(actions("deployer")).get(0);
        result(first, ActionStatus.FAILED);
        driver.advanceWallClockTime(Duration.ofSeconds(29));
        assertThat(values(actions("deployer"))).isEmpty();
        driver.advanceWallClockTime(Duration.ofSeconds(2));
        Action second = values(actions("deployer")).get(0);
        assertThat(second.getId()).isNotEqualTo(first.getId());
        result(second, ActionStatus.FAILED);
        assertThat(values(actions("oncall")))
                .singleElement()
                .satisfies(a -> assertThat(a.getParams()).containsEntry("summary", "SUMMARY checkout"));
    }

    @Test
    void aRunningInstanceKeepsItsVersionAndRemovingTheFlowCancelsIt() {
        applyRule(DEPLOY_GUARD);
        send("ci", "deploy.started", "build-7", "{\"service\":\"checkout\",\"previous\":\"41\"}");
        Rule v2 = applyRule(DEPLOY_GUARD.replace("SUMMARY", "NEW"));
        send("ci", "deploy.started", "build-8", "{\"service\":\"search\",\"previous\":\"9\"}");
        assertThat(instance("deploy-guard/search").getVersion()).isEqualTo(v2.getVersion());
        assertThat(instance("deploy-guard/checkout").getVersion()).isNotEqualTo(v2.getVersion());

        driver.advanceWallClockTime(Duration.ofMinutes(16));
        for (Action rollback : values(actions("deployer"))) {
            result(rollback, ActionStatus.FAILED);
        }
        driver.advanceWallClockTime(Duration.ofSeconds(31));
        for (Action rollback : values(actions("deployer"))) {
            result(rollback, ActionStatus.FAILED);
        }
        assertThat(values(actions("oncall")))
                .extracting(a -> a.getParams().get("summary"))
                .containsExactlyInAnyOrder("SUMMARY checkout", "NEW search");

        send("ci", "deploy.started", "build-9", "{\"service\":\"cart\",\"previous\":\"3\"}");
        TestOutputTopic<String, FlowTransition> flows = output(topics.flows());
        flows.readValuesToList(); // what came before
        rules.pipeInput("deploy-guard", null);
        driver.advanceWallClockTime(Duration.ofSeconds(1));
        // checkout and search are paging (no result yet), cart waits: all three are cancelled, each once
        assertThat(transitions(flows))
                .containsExactly(
                        "cancelled: the flow was removed",
                        "cancelled: the flow was removed",
                        "cancelled: the flow was removed");
        assertThat(instance("deploy-guard/cart").getStatus()).isEqualTo(FlowStatus.CANCELLED);
        assertThat(instance("deploy-guard/checkout").getStatus()).isEqualTo(FlowStatus.CANCELLED);
        driver.advanceWallClockTime(Duration.ofHours(2));
        assertThat(values(actions("oncall")))
                .as("no timer of a cancelled instance fires")
                .isEmpty();
    }

    @Test
    void setSwitchParallelAndForEachRunThroughTheTopology() {
        applyRule("""
            kind: flow
            id: steps
            start: {when: {source: s, type: go}}
            context:
              ladder: [primary, secondary]
            steps:
              - id: mark
                set: {context: {who: "${event.data.who}"}, registers: [{incr: "runs"}]}
              - id: route
                switch:
                  - {if: "context.who == 'nobody'", next: each}
              - id: both
                parallel:
                  branches:
                    - [{id: left, do: {system: ops, action: left}}]
                    - [{id: right, wait: {for: {source: s, type: ok}, timeout: 1m}}]
                  join: any
              - id: each
                forEach:
                  items: context.ladder
                  steps:
                    - {id: page, do: {system: oncall, action: page, target: "${item}", params: {n: "${loop.index}"}}}
            """);
        TestOutputTopic<String, FlowTransition> flows = output(topics.flows());
        send("s", "go", "k", "{\"who\":\"me\"}");
        assertThat(values(actions("ops"))).extracting(Action::getAction).containsExactly("left");
        send("s", "ok", "k", null); // join: any, the waiting branch is enough
        List<Action> pages = values(actions("oncall"));
        assertThat(pages).extracting(a -> a.getTarget() + a.getParams()).containsExactly("primary{n=0}");
        result(pages.get(0), ActionStatus.SUCCEEDED);
        List<Action> second = values(actions("oncall"));
        assertThat(second).extracting(a -> a.getTarget() + a.getParams()).containsExactly("secondary{n=1}");
        result(second.get(0), ActionStatus.SUCCEEDED);
        assertThat(transitions(flows)).contains("result both: 1 of 2 branches done", "ended: run 1 ended");
        assertThat(instance("steps/k").getStatus()).isEqualTo(FlowStatus.ENDED);
        assertThat(values(output(topics.registerOps())))
                .extracting(op -> op.getName())
                .containsExactly("runs");
    }
}
