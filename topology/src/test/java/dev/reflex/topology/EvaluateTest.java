package dev.reflex.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

import dev.reflex.schemas.Action;
import dev.reflex.schemas.ActionIds;
import dev.reflex.schemas.ActionResult;
import dev.reflex.schemas.ActionStatus;
import dev.reflex.schemas.DeadLetter;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.DecisionDetail;
import dev.reflex.schemas.Outcome;
import dev.reflex.schemas.Register;
import dev.reflex.schemas.Rule;
import dev.reflex.schemas.RuleOutcome;
import dev.reflex.schemas.RuleTrigger;

class EvaluateTest extends TopologyTestBase {
    private static final String SCALE_OUT = """
        id: scale-out
        when:
          source: monitoring
          type: cpu.high
          condition: event.data.cpu > 90
        then:
          - system: ops
            action: scale-out
            params:
              host: ${event.subject}
              reason: "cpu at ${event.data.cpu}%"
          - system: chat
            action: notify
            target: "#ops"
            params:
              text: "scaling out ${event.subject}"
        """;

    @Test
    void aMatchingEventEmitsActionsToEachSystemsTopicAndADecision() {
        Rule rule = applyRule(SCALE_OUT);
        ingestJson("monitoring", "{\"id\":\"e-1\",\"type\":\"cpu.high\",\"subject\":\"web-1\",\"cpu\":97}");

        TestRecord<String, Action> ops = actions("ops").readRecord();
        assertThat(ops.key()).isEqualTo("web-1");
        assertThat(ops.value().getAction()).isEqualTo("scale-out");
        assertThat(ops.value().getParams())
                .containsEntry("reason", "cpu at 97%")
                .containsEntry("host", "web-1");
        assertThat(ops.value().getId()).isEqualTo(ActionIds.of("e-1", "scale-out", rule.getVersion(), 0));
        assertThat(ops.value().getCorrelationid()).isEqualTo("e-1");
        TestRecord<String, Action> chat = actions("chat").readRecord();
        assertThat(chat.key()).isEqualTo("#ops");
        assertThat(chat.value().getParams()).containsEntry("text", "scaling out web-1");

        TestRecord<String, Decision> decision = decisions.readRecord();
        assertThat(decision.key()).isEqualTo("e-1");
        assertThat(decision.value().getRules())
                .extracting(RuleOutcome::getRuleId, RuleOutcome::getRuleVersion, RuleOutcome::getOutcome)
                .containsExactly(tuple("scale-out", rule.getVersion(), Outcome.MATCHED));
        assertThat(decision.value().getActionIds())
                .containsExactly(ops.value().getId(), chat.value().getId());
        assertThat(decision.value().getEngineInstance()).isEqualTo("test-instance");
        assertThat(decision.value().getDecidedAt()).isEqualTo(NOW);
    }

    @Test
    void aNonMatchingEventEmitsNoActionButStillADecision() {
        applyRule(SCALE_OUT);
        ingestJson("monitoring", "{\"id\":\"e-2\",\"type\":\"cpu.high\",\"subject\":\"web-1\",\"cpu\":40}");
        ingestJson("monitoring", "{\"id\":\"e-3\",\"type\":\"disk.full\",\"subject\":\"web-1\"}");
        assertThat(actions("ops").isEmpty()).isTrue();
        List<Decision> made = values(decisions);
        assertThat(made).extracting(Decision::getEventId).containsExactly("e-2", "e-3");
        assertThat(made.get(0).getRules()).extracting(RuleOutcome::getOutcome).containsExactly(Outcome.CONDITION_FALSE);
        assertThat(made.get(1).getRules()).isEmpty();
    }

    @Test
    void aRuleUpdateTakesEffectAndATombstoneDeletesTheRule() {
        applyRule(SCALE_OUT);
        Rule stricter = applyRule(SCALE_OUT.replace("> 90", "> 99"));
        ingestJson("monitoring", "{\"id\":\"e-4\",\"type\":\"cpu.high\",\"subject\":\"web-1\",\"cpu\":97}");
        assertThat(actions("ops").isEmpty()).isTrue();
        assertThat(decisions.readValue().getRules())
                .extracting(RuleOutcome::getRuleVersion, RuleOutcome::getOutcome)
                .containsExactly(tuple(stricter.getVersion(), Outcome.CONDITION_FALSE));

        rules.pipeInput("scale-out", null);
        ingestJson("monitoring", "{\"id\":\"e-5\",\"type\":\"cpu.high\",\"subject\":\"web-1\",\"cpu\":100}");
        assertThat(actions("ops").isEmpty()).isTrue();
        assertThat(decisions.readValue().getRules()).isEmpty();
    }

    @Test
    void aRegisterWrittenByOneEventIsReadByALaterOne() {
        applyRule("""
            id: freeze-on
            when: {source: ops, type: freeze.start}
            then:
              - set: change-freeze
                value: "on"
            """);
        applyRule("""
            id: freeze-off
            when: {source: ops, type: freeze.end}
            then:
              - delete: change-freeze
            """);
        applyRule("""
            id: deploy
            when:
              source: ci
              type: deploy.requested
              condition: registers['change-freeze'] != 'on'
            then:
              - system: deployer
                action: deploy
                params: {service: "${event.subject}"}
            """);
        ingestJson("ci", "{\"id\":\"d-1\",\"type\":\"deploy.requested\",\"subject\":\"api\"}");
        ingestJson("ops", "{\"id\":\"f-1\",\"type\":\"freeze.start\"}");
        ingestJson("ci", "{\"id\":\"d-2\",\"type\":\"deploy.requested\",\"subject\":\"api\"}");
        ingestJson("ops", "{\"id\":\"f-2\",\"type\":\"freeze.end\"}");
        ingestJson("ci", "{\"id\":\"d-3\",\"type\":\"deploy.requested\",\"subject\":\"api\"}");

        assertThat(values(actions("deployer"))).extracting(Action::getEventId).containsExactly("d-1", "d-3");
        var written = registers.readRecordsToList();
        assertThat(written).extracting(TestRecord::key).containsExactly("change-freeze", "change-freeze");
        assertThat(written.get(0).value().getValue()).isEqualTo("on");
        assertThat(written.get(0).value().getRuleId()).isEqualTo("freeze-on");
        assertThat(written.get(1).value()).isNull();
    }

    @Test
    void aRegisterWithATimeToLiveReadsAsUnsetOnceItExpiresAndIsThenDeleted() {
        applyRule("""
            id: maintenance
            when: {type: maintenance.start}
            then:
              - set: maintenance.${event.subject}
                value: "on"
                ttl: 10m
            """);
        applyRule("""
            id: alert
            when: {type: disk.full, condition: "registers['maintenance.' + event.subject] != 'on'"}
            then:
              - system: pager
                action: page
            """);
        ingestJson("ops", "{\"type\":\"maintenance.start\",\"subject\":\"db-1\"}");
        Register written = registers.readValue();
        assertThat(written.getExpiresAt()).isEqualTo(NOW.plusSeconds(600));
        ingestJson("mon", "{\"id\":\"during\",\"type\":\"disk.full\",\"subject\":\"db-1\"}");
        driver.advanceWallClockTime(Duration.ofMinutes(11));
        ingestJson("mon", "{\"id\":\"after\",\"type\":\"disk.full\",\"subject\":\"db-1\"}");
        assertThat(values(actions("pager"))).extracting(Action::getEventId).containsExactly("after");
        assertThat(registers.readRecord()).satisfies(r -> {
            assertThat(r.key()).isEqualTo("maintenance.db-1");
            assertThat(r.value()).isNull();
        });
    }

    /**
     * The processor's side of slow-rule quarantine. Timing decides which rules are slow, so this checks only what no
     * machine can change: six linear scans of 800 KB take more than 1 ms. That the other rules keep working is
     * checked without timing in EvaluatorTest.
     */
    @Test
    void aRuleThatRunsOverItsBudgetIsQuarantined() {
        restart(options().withRuleSlowBudget(Duration.ofMillis(1)));
        rules = driver.createInputTopic(
                topics.rules().name(),
                topics.rules().keySerde().serializer(),
                topics.rules().valueSerde().serializer());
        decisions = output(topics.decisions());
        applyRule("""
            id: heavy
            when:
              type: cpu.high
              condition: >-
                matches(event.data.log, 'z$') || matches(event.data.log, 'y$') || matches(event.data.log, 'x$')
                || matches(event.data.log, 'w$') || matches(event.data.log, 'v$') || matches(event.data.log, 'u$')
            """);
        ingestJson("monitoring", "{\"id\":\"big\",\"type\":\"cpu.high\",\"log\":\"" + "a".repeat(800_000) + "\"}");
        ingestJson("monitoring", "{\"id\":\"next\",\"type\":\"cpu.high\"}");
        List<Decision> made = values(decisions);
        assertThat(made.get(0).getRules()).singleElement().satisfies(o -> {
            assertThat(o.getOutcome()).isEqualTo(Outcome.ERROR);
            assertThat(o.getDetail()).contains("over the budget of 1 ms");
        });
        assertThat(made.get(1).getRules()).singleElement().satisfies(o -> {
            assertThat(o.getOutcome()).isEqualTo(Outcome.QUARANTINED);
            assertThat(o.getDetail()).contains("reflex.rule.slow.ms");
        });
    }

    @Test
    void anActionsFailureComesBackAsAnEventThatARuleCanReactTo() {
        applyRule("""
            id: page-when-restart-fails
            when: {source: reflex, type: action.failed, condition: "event.data.action == 'restart'"}
            then:
              - system: pager
                action: page
                params: {text: "restart of ${event.subject} failed: ${event.data.error}"}
            """);
        var results = driver.createInputTopic(
                topics.actionResults().name(),
                topics.actionResults().keySerde().serializer(),
                topics.actionResults().valueSerde().serializer());
        results.pipeInput(
                "a-1",
                ActionResult.newBuilder()
                        .setActionId("a-1")
                        .setSystem("ops")
                        .setAction("restart")
                        .setTarget("api-7")
                        .setStatus(ActionStatus.FAILED)
                        .setAttempts(3)
                        .setError("HTTP 503")
                        .setHttpStatus(503)
                        .setEventId("oom-1")
                        .setRuleId("restart-on-oom")
                        .setCorrelationid("oom-1")
                        .setFinishedAt(NOW)
                        .build());
        results.pipeInput(
                "a-2",
                ActionResult.newBuilder()
                        .setActionId("a-2")
                        .setSystem("ops")
                        .setAction("restart")
                        .setTarget("api-8")
                        .setStatus(ActionStatus.SKIPPED)
                        .setEventId("oom-2")
                        .setRuleId("restart-on-oom")
                        .setFinishedAt(NOW)
                        .build());

        var event = events.readRecord();
        assertThat(event.key()).isEqualTo("api-7");
        assertThat(event.value().getId()).isEqualTo("result-a-1");
        assertThat(event.value().getSource()).isEqualTo("reflex");
        assertThat(event.value().getType()).isEqualTo("action.failed");
        assertThat(event.value().getCorrelationid()).isEqualTo("oom-1");
        assertThat(events.isEmpty())
                .as("a skipped action is not reported again")
                .isTrue();
        Action page = actions("pager").readValue();
        assertThat(page.getParams()).containsEntry("text", "restart of api-7 failed: HTTP 503");
        assertThat(page.getCorrelationid()).isEqualTo("oom-1");
    }

    @Test
    void anEventWhoseIdWasSeenIsActedOnOnce() {
        applyRule(SCALE_OUT);
        for (int i = 0; i < 3; i++) {
            ingestJson("monitoring", "{\"id\":\"same\",\"type\":\"cpu.high\",\"subject\":\"web-1\",\"cpu\":97}");
        }
        ingestJson("monitoring", "{\"id\":\"other\",\"type\":\"cpu.high\",\"subject\":\"web-1\",\"cpu\":97}");
        driver.advanceWallClockTime(Duration.ofHours(2));
        ingestJson("monitoring", "{\"id\":\"same\",\"type\":\"cpu.high\",\"subject\":\"web-1\",\"cpu\":97}");
        assertThat(values(decisions))
                .as("after the retention the id counts as new again")
                .extracting(Decision::getEventId)
                .containsExactly("same", "other", "same");
        assertThat(values(actions("ops"))).extracting(Action::getEventId).containsExactly("same", "other", "same");
    }

    @Test
    void aDecisionRecordsTheRegisterValuesItsRulesRead() {
        applyRule("""
            id: deploy
            when: {source: ci, type: deploy.requested, condition: "registers['change-freeze'] != 'on' && registers.owner != 'nobody'"}
            then: [{system: deployer, action: deploy}]
            """);
        applyRule(
                "id: freeze\nwhen: {source: ops, type: freeze.start}\nthen:\n  - set: change-freeze\n    value: \"on\"\n");
        ingestJson("ci", "{\"id\":\"d-1\",\"type\":\"deploy.requested\"}");
        ingestJson("ops", "{\"id\":\"f-1\",\"type\":\"freeze.start\"}");
        ingestJson("ci", "{\"id\":\"d-2\",\"type\":\"deploy.requested\"}");
        List<Decision> made = values(decisions);
        Map<String, String> unset = new HashMap<>();
        unset.put("change-freeze", null);
        unset.put("owner", null);
        assertThat(made.get(0).getRegistersRead()).isEqualTo(unset);
        assertThat(made.get(0).getRulesConsidered()).isEqualTo(1);
        assertThat(made.get(2).getRegistersRead())
                .as("the second condition was not needed once the first was false")
                .isEqualTo(Map.of("change-freeze", "on"));
        assertThat(made.get(2).getRules()).extracting(RuleOutcome::getOutcome).containsExactly(Outcome.CONDITION_FALSE);
    }

    @Test
    void eventsThatMatchNothingAreRecordedInFullInSummaryOrNotAtAll() {
        for (String mode : List.of("summary", "none")) {
            restart(options().withUnmatched(UnmatchedDecisions.of(mode)));
            rules = driver.createInputTopic(
                    topics.rules().name(),
                    topics.rules().keySerde().serializer(),
                    topics.rules().valueSerde().serializer());
            decisions = output(topics.decisions());
            applyRule(SCALE_OUT);
            ingestJson(
                    "monitoring",
                    "{\"id\":\"miss-" + mode + "\",\"type\":\"cpu.high\",\"subject\":\"web-1\",\"cpu\":10}");
            ingestJson(
                    "monitoring",
                    "{\"id\":\"hit-" + mode + "\",\"type\":\"cpu.high\",\"subject\":\"web-1\",\"cpu\":99}");
            List<Decision> made = values(decisions);
            if (mode.equals("summary")) {
                assertThat(made)
                        .extracting(Decision::getEventId, Decision::getDetail)
                        .containsExactly(
                                tuple("miss-summary", DecisionDetail.SUMMARY),
                                tuple("hit-summary", DecisionDetail.FULL));
                assertThat(made.get(0).getRules()).isEmpty();
                assertThat(made.get(0).getRulesConsidered()).isEqualTo(1);
                assertThat(made.get(1).getRules())
                        .extracting(RuleOutcome::getOutcome)
                        .containsExactly(Outcome.MATCHED);
            } else {
                assertThat(made).extracting(Decision::getEventId).containsExactly("hit-none");
            }
        }
    }

    @Test
    void increments_inABurstAccumulate() {
        applyRule("""
            id: count
            when: {type: login.failed}
            then:
              - incr: failures.${event.subject}
            """);
        for (int i = 0; i < 3; i++) {
            ingestJson("auth", "{\"type\":\"login.failed\",\"subject\":\"alice\"}");
        }
        assertThat(values(registers)).extracting(Register::getValue).containsExactly("1", "2", "3");
    }

    @Test
    void anIncrementOfANonNumberIsDeadLetteredAndLaterOperationsStillApply() {
        applyRule("id: set-text\nwhen: {type: a}\nthen:\n  - set: r\n    value: abc\n");
        applyRule("id: bump\nwhen: {type: b}\nthen:\n  - incr: r\n");
        applyRule("id: reset\nwhen: {type: c}\nthen:\n  - set: r\n    value: \"10\"\n");
        ingestJson("x", "{\"type\":\"a\"}");
        ingestJson("x", "{\"type\":\"b\"}");
        ingestJson("x", "{\"type\":\"c\"}");
        ingestJson("x", "{\"type\":\"b\"}");
        assertThat(values(registers)).extracting(Register::getValue).containsExactly("abc", "10", "11");
        DeadLetter letter = dlq.readValue();
        assertThat(letter.getTopic()).isEqualTo("reflex.register-ops");
        assertThat(letter.getStage()).isEqualTo("apply-register-ops");
        assertThat(letter.getReason()).isEqualTo("register 'r' holds 'abc', which is not a whole number");
    }

    @Test
    void aHostileRuleProducedStraightToTheTopicIsQuarantinedAndTheOthersKeepWorking() {
        applyRule(SCALE_OUT);
        Rule hostile = Rule.newBuilder()
                .setId("evil")
                .setVersion("x")
                .setWhen(RuleTrigger.newBuilder()
                        .setType("cpu.high")
                        .setCondition("Runtime.getRuntime().exec('touch /tmp/reflex-pwned')")
                        .build())
                .build();
        rules.pipeInput("evil", hostile);
        ingestJson("monitoring", "{\"id\":\"e-9\",\"type\":\"cpu.high\",\"subject\":\"web-1\",\"cpu\":97}");

        assertThat(actions("ops").readValue().getRuleId()).isEqualTo("scale-out");
        assertThat(decisions.readValue().getRules())
                .extracting(RuleOutcome::getRuleId, RuleOutcome::getOutcome)
                .containsExactly(tuple("evil", Outcome.QUARANTINED), tuple("scale-out", Outcome.MATCHED));
        assertThat(Files.exists(Path.of("/tmp/reflex-pwned"))).isFalse();
    }
}
