package dev.reflex.audit.replay;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.reflex.audit.history.RuleHistory;
import dev.reflex.rules.CompiledRule;
import dev.reflex.rules.Evaluator;
import dev.reflex.rules.IndexedRule;
import dev.reflex.rules.files.RuleFiles;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.Outcome;
import dev.reflex.schemas.Rule;
import dev.reflex.schemas.RuleOutcome;

/** Replaying recorded decisions: audit, what-if, and the failing part of a false condition. */
class DecisionReplayTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private static Rule rule(String yaml) {
        RuleFiles.Loaded loaded = RuleFiles.parse("test.yaml", yaml);
        assertThat(loaded.problems()).isEmpty();
        return loaded.rules().get(0);
    }

    private static final Rule RESTART = rule("""
        id: restart
        when:
          source: k8s
          type: pod.oom
          condition: event.data.restarts < 3 && registers['freeze.' + event.subject] != 'on'
        then:
          - system: ops
            action: restart
            params:
              pod: ${event.subject}
          - incr: restarts.${event.subject}
        """);

    private static final Rule PAGE = rule("""
        id: page
        when:
          source: k8s
          condition: event.data.severity == 'critical' || event.data.restarts >= 5
        then:
          - system: chat
            action: post
            params:
              text: "${event.subject} is failing"
        """);

    private static Event event(String id, String subject, String data) {
        return Event.newBuilder()
                .setId(id)
                .setSource("k8s")
                .setType("pod.oom")
                .setSubject(subject)
                .setTime(T0)
                .setData(data)
                .build();
    }

    /** What the engine records: the evaluation with the live registers, at the decision time. */
    private static Decision decide(Event event, List<Rule> rules, Map<String, String> registers, Instant at) {
        return Evaluator.evaluate(event, WhatIf.index(rules), registers::get, at)
                .toDecision(event, "engine-1", at);
    }

    private static RuleHistory history(Rule... rules) {
        RuleHistory history = new RuleHistory();
        for (Rule rule : rules) {
            history.add(T0.toEpochMilli(), rule.getId(), rule);
        }
        return history;
    }

    @Test
    void recordedDecisionsReproduceWithTheirRuleVersionsAndRegisterValues() {
        DecisionReplay replay = new DecisionReplay(history(RESTART, PAGE));
        List<Decision> decisions = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            Event e = event(
                    "e" + i,
                    "pod-" + i % 3,
                    "{\"restarts\":" + i % 7 + ",\"severity\":\"" + (i % 4 == 0 ? "critical" : "warning") + "\"}");
            Decision d = decide(e, List.of(RESTART, PAGE), Map.of("freeze.pod-1", "on"), T0.plusSeconds(i));
            decisions.add(d);
            assertThat(replay.check(e, d).status())
                    .as("event %s", e.getId())
                    .isEqualTo(DecisionReplay.Status.REPRODUCED);
        }
        // the set covers matches, false conditions and a register that changed the outcome
        assertThat(decisions)
                .flatExtracting(Decision::getRules)
                .extracting(RuleOutcome::getOutcome)
                .contains(Outcome.MATCHED, Outcome.CONDITION_FALSE);
        assertThat(decisions.get(1).getRegistersRead()).containsEntry("freeze.pod-1", "on");
    }

    @Test
    void anAlteredDecisionIsReportedWithWhatDiffers() {
        DecisionReplay replay = new DecisionReplay(history(RESTART, PAGE));
        Event e = event("e1", "pod-1", "{\"restarts\":1,\"severity\":\"warning\"}");
        Decision d = decide(e, List.of(RESTART, PAGE), Map.of(), T0);
        assertThat(d.getRules())
                .extracting(RuleOutcome::getOutcome)
                .containsExactly(Outcome.CONDITION_FALSE, Outcome.MATCHED);

        Decision altered = Decision.newBuilder(d).build();
        altered.getRules()
                .set(
                        0,
                        RuleOutcome.newBuilder(d.getRules().get(0))
                                .setOutcome(Outcome.MATCHED)
                                .build());
        DecisionReplay.Check check = replay.check(e, altered);
        assertThat(check.status()).isEqualTo(DecisionReplay.Status.DIFFERENT);
        assertThat(check.differences()).contains("rule page: recorded MATCHED, replayed CONDITION_FALSE");

        Decision otherRegister = Decision.newBuilder(d)
                .setRegistersRead(Map.of("freeze.pod-1", "on"))
                .build();
        assertThat(replay.check(e, otherRegister).differences())
                .containsExactly(
                        "rule restart: recorded MATCHED, replayed CONDITION_FALSE",
                        "actions: recorded " + d.getActionIds() + ", replayed []",
                        "register operations: recorded [incr:restarts.pod-1], replayed []");
    }

    @Test
    void aDecisionWhoseRuleVersionIsUnknownIsUnverifiableNotWrong() {
        Event e = event("e1", "pod-1", "{\"restarts\":1}");
        Decision d = decide(e, List.of(RESTART), Map.of(), T0);
        DecisionReplay.Check check = new DecisionReplay(history(PAGE)).check(e, d);
        assertThat(check.status()).isEqualTo(DecisionReplay.Status.UNVERIFIABLE);
        assertThat(check.reason())
                .contains("rule restart version " + RESTART.getVersion() + " is not in the rule history");
    }

    @Test
    void aRuleChangedSinceIsReplayedWithTheVersionTheDecisionUsed() {
        Rule stricter = rule(RULE_V2);
        RuleHistory history = history(RESTART);
        history.add(T0.plusSeconds(60).toEpochMilli(), stricter.getId(), stricter);
        Event e = event("e1", "pod-1", "{\"restarts\":2}");
        Decision d = decide(e, List.of(RESTART), Map.of(), T0.plusSeconds(1));
        assertThat(new DecisionReplay(history).check(e, d).reproduced()).isTrue();
        assertThat(history.asOf(T0.plusSeconds(1).toEpochMilli()).candidates("k8s", "pod.oom"))
                .extracting(IndexedRule::version)
                .containsExactly(RESTART.getVersion());
        assertThat(history.asOf(T0.plusSeconds(61).toEpochMilli()).candidates("k8s", "pod.oom"))
                .extracting(IndexedRule::version)
                .containsExactly(stricter.getVersion());
    }

    private static final String RULE_V2 = """
        id: restart
        when:
          source: k8s
          type: pod.oom
          condition: event.data.restarts < 2 && registers['freeze.' + event.subject] != 'on'
        then:
          - system: ops
            action: restart
            params:
              pod: ${event.subject}
              reason: oom
          - incr: restarts.${event.subject}
        """;

    @Test
    void whatIfListsExactlyTheEventsThatWouldChange() {
        DecisionReplay replay = new DecisionReplay(history(RESTART, PAGE));
        Rule stricter = rule(RULE_V2);
        Rule newRule = rule("""
            id: escalate
            when:
              source: k8s
              condition: event.data.restarts >= 6
            then:
              - system: chat
                action: post
            """);
        // proposed: restart tightened (< 2) and with a new param, page removed, escalate added
        WhatIf whatIf = new WhatIf(WhatIf.index(List.of(stricter, newRule)), replay);
        for (int restarts = 0; restarts < 8; restarts++) {
            Event e = event("r" + restarts, "pod-1", "{\"restarts\":" + restarts + ",\"severity\":\"warning\"}");
            whatIf.accept(e, decide(e, List.of(RESTART, PAGE), Map.of(), T0), T0);
        }
        assertThat(whatIf.events()).isEqualTo(8);
        assertThat(whatIf.changes()).containsOnlyKeys("restart", "page", "escalate");
        WhatIf.RuleChange restart = whatIf.changes().get("restart");
        assertThat(restart.stopFiring().examples()).containsExactly("r2");
        assertThat(restart.differentActions().examples()).containsExactly("r0", "r1");
        assertThat(restart.newlyFire().count()).isZero();
        WhatIf.RuleChange page = whatIf.changes().get("page");
        assertThat(page.stopFiring().examples()).containsExactly("r5", "r6", "r7");
        assertThat(whatIf.changes().get("escalate").newlyFire().examples()).containsExactly("r6", "r7");
    }

    @Test
    void whyFalseNamesTheFailingPartOfTheConditionWithTheValuesItSaw() {
        CompiledRule restart = CompiledRule.compile(RESTART);
        Event e = event("e1", "pod-1", "{\"restarts\":4}");
        assertThat(Evaluator.whyFalse(restart, e, name -> null, T0))
                .hasValue("`event.data.restarts < 3` was false: event.data.restarts = 4");
        assertThat(Evaluator.whyFalse(restart, event("e2", "pod-1", "{\"restarts\":1}"), name -> "on", T0))
                .hasValue(
                        "`registers['freeze.' + event.subject] != 'on'` was false: registers['freeze.' + event.subject] = \"on\"");
        assertThat(Evaluator.whyFalse(restart, event("e3", "pod-1", "{\"restarts\":1}"), name -> null, T0))
                .isEmpty();

        CompiledRule page = CompiledRule.compile(PAGE);
        assertThat(Evaluator.whyFalse(
                        page, event("e4", "pod-1", "{\"restarts\":1,\"severity\":\"warning\"}"), name -> null, T0))
                .hasValue(
                        "none of the alternatives held: `event.data.severity == 'critical'` was false: event.data.severity = \"warning\"; "
                                + "`event.data.restarts >= 5` was false: event.data.restarts = 1");
        CompiledRule nested = CompiledRule.compile(rule("""
            id: nested
            when:
              condition: (event.type in ['a', 'b'] && !(event.data.ok)) && len(event.data.items) > 2
            then:
              - system: ops
                action: x
            """));
        assertThat(Evaluator.whyFalse(nested, event("e5", "p", "{\"ok\":false,\"items\":[1]}"), name -> null, T0))
                .hasValue("`event.type in ['a', 'b']` was false: event.type = \"pod.oom\"");
        Event typeA = Event.newBuilder(event("e6", "p", "{\"ok\":false,\"items\":[1]}"))
                .setType("a")
                .build();
        assertThat(Evaluator.whyFalse(nested, typeA, name -> null, T0))
                .hasValue("`len(event.data.items) > 2` was false: len(event.data.items) = 1");
        assertThat(Evaluator.whyFalse(
                        nested, Event.newBuilder(typeA).setData("{\"ok\":true}").build(), name -> null, T0))
                .hasValue("`!(event.data.ok)` was false (`event.data.ok` was true)");
    }
}
