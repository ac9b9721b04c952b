package dev.reflex.rules.correlate;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;

import org.junit.jupiter.api.Test;

import dev.reflex.rules.CompiledRule;
import dev.reflex.rules.files.RuleFiles;
import dev.reflex.schemas.CorrelationRole;
import dev.reflex.schemas.CorrelationState;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.Outcome;

/** Correlation's steps alone: no Kafka, one state carried from step to step by hand. */
class CorrelatorTest {
    private static final long T0 = Instant.parse("2026-03-01T10:00:00Z").toEpochMilli();
    private static final long MINUTE = 60_000;

    private static CompiledRule rule(String correlate) {
        RuleFiles.Loaded loaded = RuleFiles.parse(
                "r.yaml",
                "id: r\nwhen: {source: s, type: t}\ncorrelate:\n" + correlate
                        + "then:\n  - {system: ops, action: a}\n");
        assertThat(loaded.problems()).isEmpty();
        return CompiledRule.compile(loaded.rules().get(0));
    }

    private static Event event(String id, long time) {
        return Event.newBuilder()
                .setId(id)
                .setSource("s")
                .setType("t")
                .setSubject("k")
                .setTime(Instant.ofEpochMilli(time))
                .build();
    }

    private CorrelationState state;

    private Correlator.Step step(CompiledRule rule, String id, long eventTime, long now) {
        Correlator.Step step =
                Correlator.onEvent(rule, state, CorrelationRole.TRIGGER, "k", event(id, eventTime), eventTime, now);
        state = step.state();
        return step;
    }

    @Test
    void anEventWithinTheLatenessButBeforeTheCountWindowIsLateNotAFailure() {
        CompiledRule rule = rule("  count: {atLeast: 2, within: 10m}\n  lateness: 1h\n");
        assertThat(step(rule, "a", T0 + 30 * MINUTE, T0).outcome()).isEqualTo(Outcome.COUNTED);
        Correlator.Step old = step(rule, "b", T0, T0);
        assertThat(old.outcome()).isEqualTo(Outcome.LATE);
        assertThat(old.detail()).contains("before the 10m window");
        assertThat(step(rule, "c", T0 + 25 * MINUTE, T0).outcome()).isEqualTo(Outcome.FIRED);
    }

    @Test
    void theCountStartsAgainAfterAFiringAndKeepsAtMostAtLeastTimes() {
        CompiledRule rule = rule("  count: {atLeast: 3, within: 10m}\n");
        assertThat(step(rule, "a", T0, T0).outcome()).isEqualTo(Outcome.COUNTED);
        assertThat(step(rule, "b", T0 + 1, T0).outcome()).isEqualTo(Outcome.COUNTED);
        Correlator.Step third = step(rule, "c", T0 + 2, T0);
        assertThat(third.outcome()).isEqualTo(Outcome.FIRED);
        assertThat(third.firing().count()).isEqualTo(3);
        assertThat(state.getCounted()).isEmpty();
        assertThat(step(rule, "d", T0 + 3, T0).detail()).startsWith("1 of 3");
    }

    @Test
    void aFiringIdDependsOnTheWindowNotOnWhenItIsComputed() {
        CompiledRule rule = rule("  count: {atLeast: 2, within: 10m}\n");
        step(rule, "a", T0, T0);
        String first = step(rule, "b", T0 + MINUTE, T0).firing().id();
        state = null;
        step(rule, "a", T0, T0 + 5 * MINUTE);
        assertThat(step(rule, "b", T0 + MINUTE, T0 + 9 * MINUTE).firing().id()).isEqualTo(first);
    }

    @Test
    void debounceMovesTheDeadlineWithEachEventAndFiresOnceWithTheLast() {
        CompiledRule rule = rule("  debounce: 2m\n");
        step(rule, "a", T0, T0);
        step(rule, "b", T0, T0 + MINUTE);
        assertThat(state.getDueAt()).isEqualTo(T0 + 3 * MINUTE);
        assertThat(Correlator.onDeadline(rule, state, "k", T0 + 2 * MINUTE))
                .as("not due yet")
                .isNull();
        Correlator.Step fired = Correlator.onDeadline(rule, state, "k", T0 + 3 * MINUTE + 250);
        assertThat(fired.outcome()).isEqualTo(Outcome.FIRED);
        assertThat(fired.firing().event().getId()).isEqualTo("b");
        assertThat(fired.firing().count()).isEqualTo(2);
        assertThat(fired.record().getLateMs()).isEqualTo(250);
        assertThat(fired.state().getDueAt()).isNull();
        assertThat(Correlator.onDeadline(rule, fired.state(), "k", T0 + 10 * MINUTE))
                .as("fired once")
                .isNull();
    }

    @Test
    void aThrottleCountsFiringsWithinItsPeriod() {
        CompiledRule rule = rule("  throttle: {max: 2, per: 10m}\n");
        assertThat(step(rule, "a", T0, T0).outcome()).isEqualTo(Outcome.FIRED);
        assertThat(step(rule, "b", T0 + MINUTE, T0).outcome()).isEqualTo(Outcome.FIRED);
        Correlator.Step third = step(rule, "c", T0 + 2 * MINUTE, T0);
        assertThat(third.outcome()).isEqualTo(Outcome.THROTTLED);
        assertThat(third.record().getUntil()).isEqualTo(T0 + 10 * MINUTE);
        assertThat(step(rule, "d", T0 + 10 * MINUTE, T0).outcome()).isEqualTo(Outcome.FIRED);
    }

    @Test
    void aChangedCorrelateStartsTheStateAgain() {
        step(rule("  count: {atLeast: 3, within: 10m}\n"), "a", T0, T0);
        assertThat(state.getCounted()).hasSize(1);
        assertThat(step(rule("  count: {atLeast: 4, within: 10m}\n"), "b", T0, T0)
                        .detail())
                .startsWith("1 of 4");
    }
}
