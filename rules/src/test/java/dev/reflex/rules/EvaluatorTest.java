package dev.reflex.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.assertj.core.api.Assertions;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;

import dev.reflex.rules.expr.EventView;
import dev.reflex.rules.files.RuleFiles;
import dev.reflex.schemas.Action;
import dev.reflex.schemas.ActionIds;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.Outcome;
import dev.reflex.schemas.RegisterOpType;
import dev.reflex.schemas.Rule;
import dev.reflex.schemas.RuleOutcome;
import dev.reflex.schemas.RuleTrigger;

class EvaluatorTest {
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

    private static Rule rule(String yaml) {
        RuleFiles.Loaded loaded = RuleFiles.parse("test.yaml", yaml);
        assertThat(loaded.problems()).isEmpty();
        return loaded.rules().get(0);
    }

    private static Event event(String type, String subject, String data) {
        return Event.newBuilder()
                .setId("evt-1")
                .setSource("monitoring")
                .setType(type)
                .setSubject(subject)
                .setTime(NOW)
                .setData(data)
                .build();
    }

    private static final String SCALE_OUT = """
        id: scale-out
        when:
          source: monitoring
          type: cpu.high
          condition: event.data.cpu > 90 && registers['freeze'] != 'on'
        then:
          - system: ops
            action: scale-out
            params:
              host: ${event.subject}
              reason: "cpu at ${event.data.cpu}%"
          - set: last-cpu.${event.subject}
            value: ${event.data.cpu}
        """;

    @Test
    void aMatchingEventYieldsRenderedActionsRegisterOpsAndAMatchedOutcome() {
        RuleBook book = new RuleBook();
        Rule rule = rule(SCALE_OUT);
        book.put(rule);
        Evaluation result =
                Evaluator.evaluate(event("cpu.high", "web-1", "{\"cpu\":97}"), book.index(), name -> null, NOW);

        assertThat(result.outcomes()).extracting(RuleOutcome::getOutcome).containsExactly(Outcome.MATCHED);
        Action action = result.actions().get(0);
        assertThat(action.getSystem()).isEqualTo("ops");
        assertThat(action.getTarget()).isEqualTo("web-1");
        assertThat(action.getParams())
                .containsExactlyInAnyOrderEntriesOf(Map.of("host", "web-1", "reason", "cpu at 97%"));
        assertThat(action.getId()).isEqualTo(ActionIds.of("evt-1", "scale-out", rule.getVersion(), 0));
        assertThat(result.registerOps()).singleElement().satisfies(op -> {
            assertThat(op.getOp()).isEqualTo(RegisterOpType.SET);
            assertThat(op.getName()).isEqualTo("last-cpu.web-1");
            assertThat(op.getValue()).isEqualTo("97");
        });
    }

    @Test
    void aRegisterValueChangesTheOutcome() {
        RuleBook book = new RuleBook();
        book.put(rule(SCALE_OUT));
        Evaluation result = Evaluator.evaluate(
                event("cpu.high", "web-1", "{\"cpu\":97}"),
                book.index(),
                name -> name.equals("freeze") ? "on" : null,
                NOW);
        assertThat(result.outcomes()).extracting(RuleOutcome::getOutcome).containsExactly(Outcome.CONDITION_FALSE);
        assertThat(result.actions()).isEmpty();
        assertThat(result.registerOps()).isEmpty();
    }

    @Test
    void onlyRulesForTheEventsSourceAndTypeAreConsidered() {
        RuleBook book = new RuleBook();
        book.put(rule(SCALE_OUT));
        book.put(rule("id: any-source\nwhen: {type: cpu.high}\n"));
        book.put(rule("id: other-type\nwhen: {source: monitoring, type: disk.full}\n"));
        book.put(rule("id: everything\nwhen: {}\n"));
        Evaluation result =
                Evaluator.evaluate(event("cpu.high", "web-1", "{\"cpu\":50}"), book.index(), n -> null, NOW);
        assertThat(result.outcomes())
                .extracting(RuleOutcome::getRuleId)
                .containsExactly("any-source", "everything", "scale-out");
    }

    @Test
    void disabledQuarantinedAndFailingRulesAreReportedAndDoNotStopTheOthers() {
        RuleBook book = new RuleBook();
        book.put(rule(SCALE_OUT));
        book.put(rule("id: off\nenabled: false\nwhen: {type: cpu.high}\nthen: [{system: ops, action: x}]\n"));
        book.put(rule("id: not-boolean\nwhen: {type: cpu.high, condition: 'event.data.cpu + 1'}\n"));
        book.put(rule("id: deep-null\nwhen: {type: cpu.high, condition: 'event.data.nested.value > 1'}\n"));
        Rule hostile = Rule.newBuilder()
                .setId("hostile")
                .setVersion("v1")
                .setWhen(RuleTrigger.newBuilder()
                        .setType("cpu.high")
                        .setCondition("Runtime.getRuntime().exec('id')")
                        .build())
                .build();
        book.put(hostile);

        Evaluation result =
                Evaluator.evaluate(event("cpu.high", "web-1", "{\"cpu\":97}"), book.index(), n -> null, NOW);

        assertThat(result.outcomes())
                .extracting(RuleOutcome::getRuleId, RuleOutcome::getOutcome)
                .containsExactly(
                        Tuple.tuple("deep-null", Outcome.ERROR),
                        Tuple.tuple("hostile", Outcome.QUARANTINED),
                        Tuple.tuple("not-boolean", Outcome.ERROR),
                        Tuple.tuple("off", Outcome.DISABLED),
                        Tuple.tuple("scale-out", Outcome.MATCHED));
        assertThat(result.outcomes().get(1).getDetail())
                .contains("when.condition")
                .contains("unknown name 'Runtime'");
        assertThat(result.outcomes().get(2).getDetail()).contains("not true or false");
        assertThat(result.actions()).extracting(Action::getRuleId).containsExactly("scale-out");
    }

    @Test
    void aRenderingErrorSaysWhichActionParameterTargetOrRegisterFailed() {
        RuleBook book = new RuleBook();
        book.put(rule("""
            id: bad-param
            when: {type: cpu.high}
            then:
              - {system: ops, action: a, params: {host: "${event.subject}"}}
              - {system: ops, action: b, params: {host: "${event.subject}", level: "${event.data.nested.value}"}}
            """));
        book.put(rule("""
            id: bad-target
            when: {type: cpu.high}
            then: [{system: ops, action: a, target: "${event.data.nested.value}"}]
            """));
        book.put(rule("""
            id: empty-register
            when: {type: cpu.high}
            then:
              - {system: ops, action: a}
              - set: "${event.data.none}"
                value: x
            """));

        Evaluation result = Evaluator.evaluate(
                event("cpu.high", "web-1", "{\"cpu\":97,\"none\":\"\"}"), book.index(), n -> null, NOW);

        assertThat(result.outcomes()).extracting(RuleOutcome::getOutcome).containsOnly(Outcome.ERROR);
        assertThat(result.outcomes())
                .extracting(RuleOutcome::getDetail)
                .satisfiesExactly(
                        d -> assertThat(d).startsWith("actions[1].params.level: "),
                        d -> assertThat(d).startsWith("actions[0].target: "),
                        d -> assertThat(d).isEqualTo("registers[0]: the register name rendered empty"));
        assertThat(result.actions()).isEmpty();
    }

    @Test
    void aRuleVersionIsCompiledOnceAndReplacedWhenItChanges() {
        RuleBook book = new RuleBook();
        Rule v1 = rule(SCALE_OUT);
        IndexedRule first = book.put(v1);
        assertThat(book.put(Rule.newBuilder(v1).build())).isSameAs(first);
        Rule v2 = rule(SCALE_OUT.replace("> 90", "> 95"));
        assertThat(v2.getVersion()).isNotEqualTo(v1.getVersion());
        assertThat(book.put(v2)).isNotSameAs(first);
        assertThat(book.index().size()).isEqualTo(1);
        book.remove("scale-out");
        assertThat(book.index().candidates("monitoring", "cpu.high")).isEmpty();
    }

    /** Hot expressions once made MVEL switch optimizers mid-flight; the result must not change with the count. */
    @Test
    void aRuleEvaluatedManyTimesKeepsGivingTheSameResult() {
        RuleBook book = new RuleBook();
        book.put(rule(SCALE_OUT));
        RuleIndex index = book.index();
        for (int i = 0; i < 20_000; i++) {
            Evaluation result = Evaluator.evaluate(
                    event("cpu.high", "web-" + i, "{\"cpu\":" + (i % 2 == 0 ? 97 : 50) + "}"),
                    index,
                    name -> null,
                    NOW);
            assertThat(result.outcomes().get(0).getOutcome())
                    .as("evaluation %d", i)
                    .isEqualTo(i % 2 == 0 ? Outcome.MATCHED : Outcome.CONDITION_FALSE);
        }
    }

    @Test
    void aRuleOverTheBudgetByTheWallClockButNotOnTheProcessorIsNotSlow() {
        // the thread stands still for 30 ms inside the rule (a pause, a machine short of CPU): 5 ms of budget is not
        // spent
        RuleBook book = new RuleBook();
        book.put(rule(SCALE_OUT));
        // warmed up first: a JVM's first evaluation spends real CPU time loading and compiling classes
        for (int i = 0; i < 200; i++) {
            Evaluator.evaluate(event("cpu.high", "web-1", "{\"cpu\":97}"), book.index(), name -> null, NOW);
        }
        Evaluation paused = Evaluator.evaluate(
                event("cpu.high", "web-1", "{\"cpu\":97}"),
                book.index(),
                name -> {
                    try {
                        Thread.sleep(30);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return null;
                },
                NOW,
                5_000);
        assertThat(paused.slowRules()).isEmpty();
        assertThat(paused.outcomes().get(0).getOutcome()).isEqualTo(Outcome.MATCHED);
        assertThat(paused.actions()).hasSize(1);
    }

    @Test
    void aRuleThatSpendsItsBudgetOnTheProcessorIsSlowRightAfterManyQuickEvents() {
        RuleBook book = new RuleBook();
        book.put(rule(SCALE_OUT));
        // quick events one after the other: the CPU clock is read for few of them, the last one a moment ago
        for (int i = 0; i < 2_000; i++) {
            assertThat(Evaluator.evaluate(
                                    event("cpu.high", "web-1", "{\"cpu\":97}"), book.index(), name -> null, NOW, 5_000)
                            .slowRules())
                    .isEmpty();
        }
        Evaluation busy = Evaluator.evaluate(
                event("cpu.high", "web-1", "{\"cpu\":97}"),
                book.index(),
                name -> {
                    // 30 ms on the processor, however busy the machine
                    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
                    long until = threads.getCurrentThreadCpuTime() + 30_000_000;
                    long spin = 0;
                    while (threads.getCurrentThreadCpuTime() < until) {
                        spin++;
                    }
                    return spin < 0 ? "never" : null;
                },
                NOW,
                5_000);
        assertThat(busy.slowRules()).extracting(s -> s.rule().getId()).containsExactly("scale-out");
        assertThat(busy.actions()).isEmpty();
    }

    @Test
    void aRuleOverTheTimeBudgetEmitsNothingAndCanBeQuarantinedUntilANewVersion() {
        RuleBook book = new RuleBook();
        Rule v1 = rule(SCALE_OUT);
        book.put(v1);
        Evaluation slow =
                Evaluator.evaluate(event("cpu.high", "web-1", "{\"cpu\":97}"), book.index(), n -> null, NOW, -1);
        assertThat(slow.actions()).isEmpty();
        assertThat(slow.registerOps()).isEmpty();
        assertThat(slow.outcomes().get(0).getOutcome()).isEqualTo(Outcome.ERROR);
        assertThat(slow.outcomes().get(0).getDetail())
                .contains("over the budget")
                .contains("quarantined");
        assertThat(slow.slowRules()).extracting(s -> s.rule().getId()).containsExactly("scale-out");

        book.quarantineIfCurrent(v1, "too slow");
        Evaluation after = Evaluator.evaluate(event("cpu.high", "web-1", "{\"cpu\":97}"), book.index(), n -> null, NOW);
        assertThat(after.outcomes().get(0).getOutcome()).isEqualTo(Outcome.QUARANTINED);
        assertThat(after.outcomes().get(0).getDetail()).isEqualTo("too slow");

        book.put(rule(SCALE_OUT.replace("> 90", "> 91")));
        book.quarantineIfCurrent(v1, "late report about the old version");
        assertThat(Evaluator.evaluate(event("cpu.high", "web-1", "{\"cpu\":97}"), book.index(), n -> null, NOW)
                        .outcomes()
                        .get(0)
                        .getOutcome())
                .isEqualTo(Outcome.MATCHED);
    }

    @Test
    void theEventViewIsReadOnly() {
        Map<String, Object> view = EventView.of(event("t", "s", "{\"list\":[1,2]}"));
        assertThat(view.get("data")).isInstanceOf(Map.class);
        @SuppressWarnings("unchecked")
        Map<String, Object> data = (Map<String, Object>) view.get("data");
        Assertions.assertThatThrownBy(() -> data.put("x", 1)).isInstanceOf(UnsupportedOperationException.class);
        Assertions.assertThatThrownBy(() -> ((List<?>) data.get("list")).clear())
                .isInstanceOf(UnsupportedOperationException.class);
    }
}
