package dev.reflex.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.streams.TestOutputTopic;
import org.junit.jupiter.api.Test;

import dev.reflex.rules.flow.FlowRunner;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.DecisionDetail;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.FlowTransition;
import dev.reflex.schemas.Outcome;
import dev.reflex.schemas.RuleOutcome;

/**
 * Deadlines wait for the input: while the engine has read its input only up to a time before a deadline's due time,
 * the deadline does not fire however late the wall clock is, so an event that reached Kafka in time and is read late
 * answers it. Here the engine's barriers are stood in for by a settable time ({@link InputProgress}).
 */
class DeadlineInputTest extends TopologyTestBase {
    /** The time up to which the input counts as read; the wall clock starts at NOW. */
    private final AtomicLong readUpTo = new AtomicLong(NOW.toEpochMilli());

    private int sequence;

    @Override
    TopologyOptions options() {
        return TopologyOptions.defaults("test-instance").withInputProgress(partition -> readUpTo.get());
    }

    private Event send(String source, String type, String subject, String data) {
        Event event = Event.newBuilder()
                .setId("e-" + ++sequence)
                .setSource(source)
                .setType(type)
                .setSubject(subject)
                .setTime(NOW)
                .setData(data)
                .build();
        eventsIn.pipeInput(subject, event, NOW);
        return event;
    }

    private static final String DEPLOY_GUARD = """
        kind: flow
        id: deploy-guard
        start:
          when: {source: ci, type: deploy.started}
          key: ${event.data.service}
        steps:
          - id: healthy
            wait:
              for: {source: monitoring, type: service.healthy}
              key: ${event.data.service}
              timeout: 25s
            next: {event: end, timeout: rollback}
          - id: rollback
            do: {system: deployer, action: rollback, target: "${context.key}"}
        """;

    @Test
    void aFlowWaitDoesNotTimeOutBeforeTheInputIsReadUpToItsDueTimeAndTheEventThatCameInTimeEndsIt() {
        applyRule(DEPLOY_GUARD);
        TestOutputTopic<String, FlowTransition> flows = output(topics.flows());
        send("ci", "deploy.started", "build-1", "{\"service\":\"checkout\"}");
        send("ci", "deploy.started", "build-2", "{\"service\":\"search\"}");

        // 70 s later by the wall clock, with the input read only up to 20 s: the 25 s waits hold
        readUpTo.set(NOW.plusSeconds(20).toEpochMilli());
        driver.advanceWallClockTime(Duration.ofSeconds(70));
        assertThat(values(actions("deployer"))).isEmpty();
        assertThat(flows.readValuesToList()).map(FlowRunner::words).noneMatch(w -> w.startsWith("timed out"));

        // the healthy event that had been on Kafka since 2 s after the start is read now, then the input catches up
        send("monitoring", "service.healthy", "checkout", "{\"service\":\"checkout\"}");
        readUpTo.set(NOW.plusSeconds(71).toEpochMilli());
        driver.advanceWallClockTime(Duration.ofSeconds(1));

        assertThat(values(actions("deployer")))
                .singleElement()
                .satisfies(a -> assertThat(a.getTarget()).isEqualTo("search"));
        List<String> words =
                flows.readValuesToList().stream().map(FlowRunner::words).toList();
        assertThat(words)
                .anySatisfy(w -> assertThat(w).startsWith("ended healthy"))
                .anySatisfy(w -> assertThat(w).startsWith("timed out healthy: no event within 25s (46"));
        assertThat(words).filteredOn(w -> w.startsWith("timed out")).hasSize(1);
    }

    private static final String TWO_WAITS = """
        kind: flow
        id: both
        start:
          when: {source: ci, type: begin}
          key: ${event.subject}
        steps:
          - id: together
            parallel:
              join: all
              branches:
                - - id: short
                    wait: {for: {source: ci, type: short-answer}, key: "${event.subject}", timeout: 10s}
                - - id: long
                    wait: {for: {source: ci, type: long-answer}, key: "${event.subject}", timeout: 20s}
        """;

    @Test
    void anInstanceWhoseTimersAreDueTogetherWaitsWholeUntilTheInputIsReadUpToTheLaterOne() {
        applyRule(TWO_WAITS);
        TestOutputTopic<String, FlowTransition> flows = output(topics.flows());
        send("ci", "begin", "k", null);
        flows.readValuesToList();

        // both due by the wall clock, the input read past the first only: neither fires, so no step fires early
        readUpTo.set(NOW.plusSeconds(15).toEpochMilli());
        driver.advanceWallClockTime(Duration.ofSeconds(30));
        assertThat(flows.readValuesToList()).isEmpty();

        // the answer to the longer wait was there in time; then both are read and only the short one times out
        send("ci", "long-answer", "k", null);
        readUpTo.set(NOW.plusSeconds(31).toEpochMilli());
        driver.advanceWallClockTime(Duration.ofSeconds(1));
        List<String> words =
                flows.readValuesToList().stream().map(FlowRunner::words).toList();
        assertThat(words)
                .filteredOn(w -> w.startsWith("timed out"))
                .singleElement()
                .satisfies(w -> assertThat(w).startsWith("timed out short"));
    }

    private static final String STILL_FIRING = """
        id: still-firing
        when: {source: alertmanager, type: alert.firing}
        correlate:
          unless: {source: alertmanager, type: alert.resolved, within: 5m}
        then:
          - {system: oncall, action: page}
        """;

    @Test
    void unlessAndDebounceDeadlinesWaitForTheInputAndAreAnsweredByEventsReadLate() {
        applyRule(STILL_FIRING);
        applyRule("""
            id: settle
            when: {source: deploys, type: changed}
            correlate:
              debounce: 1m
            then:
              - {system: chat, action: notify}
            """);
        send("alertmanager", "alert.firing", "disk-full", null);
        send("deploys", "changed", "svc", null);
        readUpTo.set(NOW.plusSeconds(30).toEpochMilli());
        driver.advanceWallClockTime(Duration.ofMinutes(10));
        assertThat(values(actions("oncall"))).isEmpty();
        assertThat(values(actions("chat"))).isEmpty();

        // read late: the resolution cancels the unless; the second change re-arms the debounce from now
        send("alertmanager", "alert.resolved", "disk-full", null);
        send("deploys", "changed", "svc", null);
        readUpTo.set(Long.MAX_VALUE);
        driver.advanceWallClockTime(Duration.ofSeconds(1));
        assertThat(values(actions("oncall"))).isEmpty();
        assertThat(values(actions("chat"))).isEmpty();
        driver.advanceWallClockTime(Duration.ofMinutes(1));
        assertThat(values(actions("chat"))).hasSize(1);

        List<Outcome> outcomes = values(decisions).stream()
                .filter(d -> d.getDetail() == DecisionDetail.CORRELATION)
                .map(Decision::getRules)
                .map(r -> r.get(0))
                .map(RuleOutcome::getOutcome)
                .toList();
        assertThat(outcomes)
                .containsExactly(Outcome.ARMED, Outcome.ARMED, Outcome.CANCELLED, Outcome.ARMED, Outcome.FIRED);
    }

    @Test
    void aDeadlineFiresOnceTheInputIsReadUpToItsDueTimeWhileTheWallClockIsLater() {
        applyRule(STILL_FIRING);
        send("alertmanager", "alert.firing", "disk-full", null);
        readUpTo.set(Long.MIN_VALUE);
        driver.advanceWallClockTime(Duration.ofMinutes(6));
        assertThat(values(actions("oncall"))).isEmpty();
        readUpTo.set(NOW.plus(Duration.ofMinutes(5)).toEpochMilli());
        driver.advanceWallClockTime(Duration.ofSeconds(1));
        assertThat(values(actions("oncall"))).hasSize(1);
    }
}
