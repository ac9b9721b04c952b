package dev.reflex.rules.flow;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.reflex.rules.RuleBook;
import dev.reflex.rules.files.RuleFiles;
import dev.reflex.schemas.Action;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.FlowInstance;
import dev.reflex.schemas.FlowStatus;
import dev.reflex.schemas.Rule;

/** Each step kind and each guard, run in memory with the events' clock and canned results. */
class FlowRunnerTest {
    private static final long T0 = Instant.parse("2026-03-01T10:00:00Z").toEpochMilli();
    private static final long S = 1_000;
    static final String DEPLOY_GUARD = """
        kind: flow
        id: deploy-guard
        description: Roll back a deploy that does not become healthy within 15 minutes
        start:
          when: {source: ci, type: deploy.started}
          key: ${event.data.service}
          onRunning: replace
        context:
          version: ${event.data.version}
          previous: ${event.data.previous}
        steps:
          - id: healthy
            wait:
              for: {source: monitoring, type: service.healthy, condition: "event.data.version == context.version"}
              key: ${event.data.service}
              timeout: 15m
            next: {event: end, timeout: rollback}
          - id: rollback
            do: {system: deployer, action: rollback, target: "${context.key}", params: {to: "${context.previous}"}}
            retry: {attempts: 3, backoff: 30s, factor: 2, max: 5m}
            timeout: 10m
            next: {succeeded: end, failed: page, timeout: page}
          - id: page
            do: {system: oncall, action: page, params: {summary: "rollback of ${context.key} to ${context.previous} failed"}}
        """;

    private final List<String> log = new ArrayList<>();
    private final List<Action> actions = new ArrayList<>();
    private FlowSimulator sim;

    private void load(String yaml, Map<String, List<FlowSimulator.Canned>> canned) {
        RuleFiles.Loaded loaded = RuleFiles.parse("flow.yaml", yaml);
        assertThat(loaded.problems()).isEmpty();
        RuleBook book = new RuleBook();
        loaded.rules().forEach(book::put);
        sim = new FlowSimulator(book, name -> null, canned);
    }

    private void send(String id, String source, String type, String subject, long time, String data) {
        Event event = Event.newBuilder()
                .setId(id)
                .setSource(source)
                .setType(type)
                .setSubject(subject)
                .setTime(Instant.ofEpochMilli(time))
                .setData(data)
                .build();
        record(sim.accept(event, time));
    }

    private void until(long time) {
        record(sim.advanceTo(time));
    }

    private void record(List<FlowSimulator.Step> steps) {
        for (FlowSimulator.Step step : steps) {
            log.addAll(step.transitions());
            actions.addAll(step.actions());
        }
    }

    private FlowInstance instance(String stateKey) {
        return sim.instances().get(stateKey);
    }

    @Test
    void aHealthyDeployEndsTheFlowWithoutAnAction() {
        load(DEPLOY_GUARD, Map.of());
        send(
                "d1",
                "ci",
                "deploy.started",
                "build-1",
                T0,
                "{\"service\":\"checkout\",\"version\":\"2\",\"previous\":\"1\"}");
        send("h0", "monitoring", "service.healthy", "x", T0 + 60 * S, "{\"service\":\"checkout\",\"version\":\"1\"}");
        send("h1", "monitoring", "service.healthy", "x", T0 + 120 * S, "{\"service\":\"checkout\",\"version\":\"2\"}");
        assertThat(log)
                .containsExactly(
                        "started: run 1 of version "
                                + instance("deploy-guard/checkout").getVersion() + " started by d1",
                        "waiting healthy: for monitoring / service.healthy until 2026-03-01T10:15:00Z",
                        "ignored: no step of run 1 waits for event h0",
                        "result healthy: event h1 (monitoring / service.healthy) came",
                        "ended healthy: run 1 ended");
        assertThat(actions).isEmpty();
        assertThat(instance("deploy-guard/checkout").getStatus()).isEqualTo(FlowStatus.ENDED);
    }

    @Test
    void anUnhealthyDeployIsRolledBackWithRetriesThenPagedWhenTheRollbackKeepsFailing() {
        load(
                DEPLOY_GUARD,
                Map.of(
                        "deployer/rollback",
                        List.of(new FlowSimulator.Canned("failed", 5 * S)),
                        "oncall/page",
                        List.of(new FlowSimulator.Canned("succeeded", S))));
        send(
                "d1",
                "ci",
                "deploy.started",
                "build-1",
                T0,
                "{\"service\":\"checkout\",\"version\":\"2\",\"previous\":\"1\"}");
        until(T0 + 3_600 * S);
        assertThat(log)
                .containsSubsequence(
                        "timed out healthy: no event within 15m (0 ms late)",
                        "step started rollback: deployer rollback checkout (attempt 1)",
                        "retry scheduled rollback: attempt 1 failed; attempt 2 of 3 in 30s",
                        "step started rollback: deployer rollback checkout (attempt 2)",
                        "retry scheduled rollback: attempt 2 failed; attempt 3 of 3 in 1m",
                        "step started rollback: deployer rollback checkout (attempt 3)",
                        "result rollback: failed on attempt 3",
                        "step started page: oncall page checkout (attempt 1)",
                        "result page: succeeded on attempt 1",
                        "ended: run 1 ended");
        assertThat(actions).extracting(Action::getAction).containsExactly("rollback", "rollback", "rollback", "page");
        assertThat(actions).extracting(Action::getId).doesNotHaveDuplicates();
        assertThat(actions.get(0).getParams()).containsEntry("to", "1");
        assertThat(actions.get(3).getParams()).containsEntry("summary", "rollback of checkout to 1 failed");
        assertThat(actions).allSatisfy(a -> assertThat(a.getCorrelationid()).isEqualTo("flow:deploy-guard/checkout"));
    }

    @Test
    void aDeadActorCannotHangAFlowAndALateResultIsIgnored() {
        load(DEPLOY_GUARD, Map.of("deployer/rollback", List.of(new FlowSimulator.Canned("succeeded", 11 * 60 * S))));
        send(
                "d1",
                "ci",
                "deploy.started",
                "build-1",
                T0,
                "{\"service\":\"checkout\",\"version\":\"2\",\"previous\":\"1\"}");
        until(T0 + 3_600 * S);
        assertThat(log)
                .contains(
                        "timed out rollback: no result within 10m (0 ms late)",
                        "step started page: oncall page checkout (attempt 1)")
                .anySatisfy(l -> assertThat(l).startsWith("ignored: result of action"));
    }

    @Test
    void anUnrelatedResultCannotAdvanceAFlow() {
        load(DEPLOY_GUARD, Map.of());
        send(
                "d1",
                "ci",
                "deploy.started",
                "build-1",
                T0,
                "{\"service\":\"checkout\",\"version\":\"2\",\"previous\":\"1\"}");
        until(T0 + 16 * 60 * S);
        Event unrelated = Event.newBuilder()
                .setId("r-x")
                .setSource("reflex")
                .setType("action.succeeded")
                .setSubject("checkout")
                .setTime(Instant.ofEpochMilli(T0 + 17 * 60 * S))
                .setData("{\"actionId\":\"" + actions.get(0).getId() + "\"}")
                .setCorrelationid("e-other")
                .build();
        record(sim.accept(unrelated, T0 + 17 * 60 * S));
        assertThat(instance("deploy-guard/checkout").getThreads())
                .singleElement()
                .satisfies(t -> assertThat(t.getStep()).isEqualTo("rollback"));
    }

    @Test
    void onRunningReplaceCancelsTheRunningInstanceAndStartsAnother() {
        load(DEPLOY_GUARD, Map.of());
        send("d1", "ci", "deploy.started", "b1", T0, "{\"service\":\"checkout\",\"version\":\"2\",\"previous\":\"1\"}");
        send(
                "d2",
                "ci",
                "deploy.started",
                "b2",
                T0 + S,
                "{\"service\":\"checkout\",\"version\":\"3\",\"previous\":\"2\"}");
        assertThat(log).contains("cancelled: replaced by a new run started by event d2");
        assertThat(instance("deploy-guard/checkout").getRun()).isEqualTo(2);
        assertThat(instance("deploy-guard/checkout").getContext()).containsEntry("version", "\"3\"");
    }

    private static final String STEPS = """
        kind: flow
        id: steps
        start: {when: {source: s, type: go}, onRunning: queue}
        context:
          ladder: [primary, secondary]
        steps:
          - id: mark
            set: {context: {who: "${event.data.who}"}, registers: [{incr: "runs"}]}
          - id: route
            switch:
              - {if: "context.who == 'nobody'", next: done}
          - id: both
            parallel:
              branches:
                - [{id: left, do: {system: ops, action: left}}]
                - [{id: right, do: {system: ops, action: right}}]
              join: all
          - id: each
            forEach:
              items: context.ladder
              steps:
                - {id: page, do: {system: oncall, action: page, target: "${item}", params: {n: "${loop.index}"}}}
          - id: done
            set: {context: {finished: "yes"}}
        """;

    @Test
    void setSwitchParallelAndForEachRunInOrderAndQueuedStartsFollow() {
        load(
                STEPS,
                Map.of(
                        "ops/left",
                        List.of(new FlowSimulator.Canned("succeeded", S)),
                        "ops/right",
                        List.of(new FlowSimulator.Canned("succeeded", 2 * S)),
                        "oncall/page",
                        List.of(new FlowSimulator.Canned("succeeded", S))));
        send("g1", "s", "go", "k", T0, "{\"who\":\"me\"}");
        send("g2", "s", "go", "k", T0 + 1, "{\"who\":\"nobody\"}");
        until(T0 + 60 * S);
        assertThat(actions)
                .extracting(a -> a.getAction() + ":" + a.getTarget() + a.getParams())
                .containsExactly("left:k{}", "right:k{}", "page:primary{n=0}", "page:secondary{n=1}");
        assertThat(log)
                .contains(
                        "queued: queued behind run 1 (1 waiting)",
                        "result both: 2 of 2 branches done",
                        "ended: run 1 ended",
                        "step started route: `context.who == 'nobody'` holds: next done",
                        "ended: run 2 ended");
        assertThat(instance("steps/k").getRun()).isEqualTo(2);
        assertThat(instance("steps/k").getContext()).containsEntry("finished", "\"yes\"");
    }

    @Test
    void guardsStopALoopAndAnOversizedContext() {
        load("""
            kind: flow
            id: loops
            start: {when: {source: s, type: go}}
            limits: {transitions: 20}
            steps:
              - {id: a, set: {context: {x: "1"}}, next: b}
              - {id: b, set: {context: {y: "2"}}, next: a}
            """, Map.of());
        send("g", "s", "go", "k", T0, null);
        assertThat(log).contains("guard: more than 20 steps on one input (limits.transitions): a loop?");
        assertThat(instance("loops/k").getStatus()).isEqualTo(FlowStatus.FAILED);

        log.clear();
        load("""
            kind: flow
            id: big
            start: {when: {source: s, type: go}}
            limits: {contextBytes: 100}
            steps:
              - {id: a, set: {context: {x: "${event.data.blob}"}}}
            """, Map.of());
        send("g", "s", "go", "k", T0, "{\"blob\":\"" + "x".repeat(200) + "\"}");
        assertThat(log).anySatisfy(l -> assertThat(l).startsWith("guard: the context is 2"));
    }

    @Test
    void aStartOverTheRunningCapIsDroppedAndRecorded() {
        load("""
            kind: flow
            id: capped
            start: {when: {source: s, type: go}}
            limits: {running: 2}
            steps:
              - {id: w, wait: {for: {source: s, type: never}, timeout: 1h}}
            """, Map.of());
        send("g1", "s", "go", "a", T0, null);
        send("g2", "s", "go", "b", T0, null);
        send("g3", "s", "go", "c", T0, null);
        assertThat(log)
                .contains("guard: 2 runs of capped are going here, the limit (limits.running); this start is dropped");
        assertThat(instance("capped/c")).isNull();
    }

    @Test
    void flowDocumentsAreCheckedWithTheLineAndTheReason() {
        assertThat(problems(
                        "kind: flow\nid: f\nstart: {when: {type: t}}\nsteps:\n  - {id: a, wait: {for: {type: x}}}\n"))
                .containsExactly("f.yaml:5: steps[0].wait: a wait needs a 'timeout': a flow must not wait forever");
        assertThat(
                        problems(
                                "kind: flow\nid: f\nstart: {when: {type: t}}\nsteps:\n  - {id: a, set: {context: {x: '1'}}, next: nowhere}\n"))
                .containsExactly(
                        "f.yaml:5: steps[0].next: 'nowhere' is not a step of the same list (steps there: a), end or fail");
        assertThat(
                        problems(
                                "kind: flow\nid: f\nstart: {when: {type: t}}\nsteps:\n  - {id: a, do: {system: s, action: x}, wait: {}}\n"))
                .containsExactly(
                        "f.yaml:5: steps[0]: a step is exactly one of do, wait, set, switch, parallel, forEach; this one has do and wait");
        assertThat(
                        problems(
                                "kind: flow\nid: f\nstart: {when: {type: t}, onRunning: later}\nsteps:\n  - {id: a, set: {context: {x: '1'}}}\n"))
                .containsExactly("f.yaml:3: start.onRunning: onRunning is ignore, replace or queue, not 'later'");
        assertThat(
                        problems(
                                "kind: flow\nid: f\nstart: {when: {type: t}}\nsteps:\n  - {id: a, set: {context: {x: '1'}}}\n  - {id: a, set: {context: {y: '1'}}}\n"))
                .containsExactly("f.yaml:6: steps[1].id: step id 'a' is used twice (also at steps[0])");
        assertThat(problems("kind: flowchart\nid: f\n"))
                .containsExactly(
                        "f.yaml:1: kind 'flowchart' is not known; a document is a rule (no kind) or a flow (kind: flow)");
        assertThat(problems(
                        "id: r\nwhen: {type: t}\nthen:\n  - {system: s, action: a, params: {x: '${context.key}'}}\n"))
                .containsExactly("f.yaml:4: then[0].params.x: reads 'context', which only a flow has");
    }

    private static List<String> problems(String yaml) {
        return RuleFiles.parse("f.yaml", yaml).problems().stream()
                .map(Object::toString)
                .toList();
    }

    @Test
    void aFlowsVersionIsItsContentHash() {
        Rule a = RuleFiles.parse("a.yaml", DEPLOY_GUARD).rules().get(0);
        Rule b = RuleFiles.parse("b.yaml", "# a comment\n" + DEPLOY_GUARD.replace("timeout: 15m", "timeout:   15m"))
                .rules()
                .get(0);
        assertThat(a.getVersion()).isEqualTo(b.getVersion());
        Rule c = RuleFiles.parse("c.yaml", DEPLOY_GUARD.replace("timeout: 15m", "timeout: 20m"))
                .rules()
                .get(0);
        assertThat(c.getVersion()).isNotEqualTo(a.getVersion());
        assertThat(a.getWhen().getSource()).isEqualTo("ci");
    }
}
