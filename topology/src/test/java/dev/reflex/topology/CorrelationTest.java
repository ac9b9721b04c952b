package dev.reflex.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;

import dev.reflex.schemas.Action;
import dev.reflex.schemas.ActionIds;
import dev.reflex.schemas.CorrelationState;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.DecisionDetail;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.Outcome;
import dev.reflex.schemas.Rule;
import dev.reflex.schemas.RuleOutcome;

/** Each correlation primitive through the real topology, with event time and the wall clock advanced by hand. */
class CorrelationTest extends TopologyTestBase {
    private static final String THREE_FAILURES = """
        id: page-on-failures
        when: {source: reflex, type: action.failed, condition: "event.data.action == 'restart'"}
        correlate:
          count: {atLeast: 3, within: 10m}
          throttle: {max: 1, per: 30m}
        then:
          - {system: oncall, action: page, params: {summary: "${correlation.key}: ${correlation.count} failed restarts since ${correlation.first}"}}
        """;

    private int sequence;

    private Event event(String source, String type, String subject, Instant time, String data) {
        return Event.newBuilder()
                .setId("e-" + ++sequence)
                .setSource(source)
                .setType(type)
                .setSubject(subject)
                .setTime(time)
                .setData(data)
                .build();
    }

    private Event send(String source, String type, String subject, Instant time, String data) {
        Event event = event(source, type, subject, time, data);
        eventsIn.pipeInput(subject, event, time);
        return event;
    }

    private Event failure(String subject, Instant time) {
        return send("reflex", "action.failed", subject, time, "{\"action\":\"restart\"}");
    }

    /** The correlation decisions recorded so far, in order; the events' own decisions are left out. */
    private List<Decision> correlationDecisions() {
        return values(decisions).stream()
                .filter(d -> d.getDetail() == DecisionDetail.CORRELATION)
                .toList();
    }

    private static RuleOutcome only(Decision decision) {
        assertThat(decision.getRules()).hasSize(1);
        return decision.getRules().get(0);
    }

    @Test
    void countFiresOnTheThirdFailureWithinTheWindowThenThrottles() {
        Rule rule = applyRule(THREE_FAILURES);
        Instant t0 = NOW.minus(Duration.ofMinutes(20));
        Event first = failure("web-1", t0);
        failure("web-1", t0.plus(Duration.ofMinutes(11))); // the first is now out of the 10m window
        failure("web-1", t0.plus(Duration.ofMinutes(12)));
        failure("other", t0.plus(Duration.ofMinutes(12))); // another key counts apart
        Event third = failure("web-1", t0.plus(Duration.ofMinutes(13)));

        List<Decision> steps = correlationDecisions();
        assertThat(steps)
                .extracting(d -> only(d).getOutcome())
                .containsExactly(Outcome.COUNTED, Outcome.COUNTED, Outcome.COUNTED, Outcome.COUNTED, Outcome.FIRED);
        assertThat(steps.get(0).getEventId()).isEqualTo(first.getId());
        assertThat(only(steps.get(2)).getDetail())
                .startsWith("2 of 3 within 10m, first at " + t0.plus(Duration.ofMinutes(11)));
        RuleOutcome fired = only(steps.get(4));
        assertThat(fired.getCorrelation().getCount()).isEqualTo(3);
        assertThat(fired.getCorrelation().getSeen().getCounted()).hasSize(2);

        List<Action> pages = values(actions("oncall"));
        assertThat(pages).hasSize(1);
        String firingId = ActionIds.hash(
                "page-on-failures",
                rule.getVersion(),
                "web-1",
                "count",
                Long.toString(t0.plus(Duration.ofMinutes(11)).toEpochMilli()),
                third.getId());
        assertThat(fired.getCorrelation().getFiringId()).isEqualTo(firingId);
        assertThat(pages.get(0).getId()).isEqualTo(ActionIds.of(firingId, "page-on-failures", rule.getVersion(), 0));
        assertThat(pages.get(0).getParams().get("summary"))
                .isEqualTo("web-1: 3 failed restarts since " + t0.plus(Duration.ofMinutes(11)));
        assertThat(steps.get(4).getActionIds()).containsExactly(pages.get(0).getId());

        // three more failures: the count is reached again, but one page per 30 minutes
        for (int i = 14; i <= 16; i++) {
            failure("web-1", t0.plus(Duration.ofMinutes(i)));
        }
        List<Decision> more = correlationDecisions();
        assertThat(more)
                .extracting(d -> only(d).getOutcome())
                .containsExactly(Outcome.COUNTED, Outcome.COUNTED, Outcome.THROTTLED);
        assertThat(only(more.get(2)).getDetail()).contains("throttled until " + t0.plus(Duration.ofMinutes(43)));
        assertThat(values(actions("oncall"))).isEmpty();
    }

    @Test
    void theEventsOwnDecisionSaysItWasHandedToCorrelation() {
        applyRule(THREE_FAILURES);
        failure("web-1", NOW);
        List<Decision> all = values(decisions);
        Decision own = all.stream()
                .filter(d -> d.getDetail() == DecisionDetail.FULL)
                .findFirst()
                .orElseThrow();
        assertThat(only(own).getOutcome()).isEqualTo(Outcome.CORRELATING);
        assertThat(only(own).getDetail()).isEqualTo("key 'web-1' as trigger event");
        Decision step = all.stream()
                .filter(d -> d.getDetail() == DecisionDetail.CORRELATION)
                .findFirst()
                .orElseThrow();
        assertThat(step.getEventId()).isEqualTo(own.getEventId());
    }

    @Test
    void aLateEventIsNotCounted() {
        applyRule(THREE_FAILURES);
        failure("web-1", NOW);
        failure("web-1", NOW.minus(Duration.ofMinutes(2))); // default lateness is 1m
        failure("web-1", NOW.minus(Duration.ofSeconds(30)));
        assertThat(correlationDecisions())
                .extracting(d -> only(d).getOutcome())
                .containsExactly(Outcome.COUNTED, Outcome.LATE, Outcome.COUNTED);
    }

    @Test
    void debounceFiresOnceTheKeyIsQuietWithTheLastEvent() {
        applyRule("""
            id: settle
            when: {source: monitoring, type: alert.firing}
            correlate: {debounce: 2m}
            then:
              - {system: chat, action: notify, params: {text: "${event.id} after ${correlation.count} alerts, armed ${correlation.armedAt}"}}
            """);
        send("monitoring", "alert.firing", "db-1", NOW, null);
        driver.advanceWallClockTime(Duration.ofMinutes(1));
        Event last = send("monitoring", "alert.firing", "db-1", NOW, null);
        driver.advanceWallClockTime(Duration.ofSeconds(90));
        assertThat(values(actions("chat"))).isEmpty();
        driver.advanceWallClockTime(Duration.ofSeconds(31));

        List<Action> sent = values(actions("chat"));
        assertThat(sent).hasSize(1);
        assertThat(sent.get(0).getParams().get("text")).isEqualTo(last.getId() + " after 2 alerts, armed " + NOW);
        List<Decision> steps = correlationDecisions();
        assertThat(steps)
                .extracting(d -> only(d).getOutcome())
                .containsExactly(Outcome.ARMED, Outcome.ARMED, Outcome.FIRED);
        Decision fired = steps.get(2);
        assertThat(fired.getEventType()).isEqualTo("correlation.deadline");
        assertThat(fired.getEventId()).isEqualTo(only(fired).getCorrelation().getFiringId());
        assertThat(sent.get(0).getEventId()).isEqualTo(fired.getEventId());
        long late = only(fired).getCorrelation().getLateMs();
        assertThat(late).isBetween(0L, 2_000L);

        // fired once: the deadline is gone
        driver.advanceWallClockTime(Duration.ofMinutes(10));
        assertThat(values(actions("chat"))).isEmpty();
    }

    private static final String FLAPPING = """
        id: still-firing
        when: {source: alertmanager, type: alert.firing}
        correlate:
          unless: {source: alertmanager, type: alert.resolved, within: 5m}
          throttle: {max: 1, per: 1h}
        then:
          - {system: oncall, action: page, params: {summary: "${correlation.key} firing since ${correlation.armedAt}"}}
        """;

    @Test
    void unlessIsCancelledByItsEventAndFiresWhenItDoesNotCome() {
        applyRule(FLAPPING);
        send("alertmanager", "alert.firing", "disk-full", NOW, null);
        driver.advanceWallClockTime(Duration.ofMinutes(2));
        Event resolved = send("alertmanager", "alert.resolved", "disk-full", NOW, null);
        driver.advanceWallClockTime(Duration.ofMinutes(10));
        assertThat(values(actions("oncall"))).isEmpty();

        send("alertmanager", "alert.firing", "disk-full", NOW, null);
        driver.advanceWallClockTime(Duration.ofMinutes(1));
        send("alertmanager", "alert.firing", "disk-full", NOW, null); // still firing: the deadline stays where it was
        driver.advanceWallClockTime(Duration.ofMinutes(4).plusSeconds(1));
        List<Action> pages = values(actions("oncall"));
        assertThat(pages).hasSize(1);
        assertThat(pages.get(0).getParams().get("summary")).startsWith("disk-full firing since ");

        List<Decision> steps = correlationDecisions();
        assertThat(steps)
                .extracting(d -> only(d).getOutcome())
                .containsExactly(Outcome.ARMED, Outcome.CANCELLED, Outcome.ARMED, Outcome.ARMED, Outcome.FIRED);
        assertThat(only(steps.get(1)).getDetail()).startsWith("cancelled by event " + resolved.getId());
        assertThat(only(steps.get(3)).getDetail()).startsWith("already armed at ");
    }

    @Test
    void afterFiresOnlyWithinTheWindowAfterItsEvent() {
        applyRule("""
            id: errors-after-deploy
            when: {source: monitoring, type: error.spike}
            correlate:
              key: ${event.labels.service}
              after: {source: ci, type: deploy.finished, within: 30m}
            then:
              - {system: chat, action: notify, params: {text: "errors on ${correlation.key} after a deploy"}}
            """);
        Event spike = event("monitoring", "error.spike", "pod-1", NOW, null);
        spike.setLabels(Map.of("service", "checkout"));
        eventsIn.pipeInput("pod-1", spike, NOW);
        Event deploy = event("ci", "deploy.finished", "build-9", NOW.plusSeconds(60), null);
        deploy.setLabels(Map.of("service", "checkout"));
        eventsIn.pipeInput("build-9", deploy, NOW.plusSeconds(60));
        Event spike2 = event("monitoring", "error.spike", "pod-2", NOW.plus(Duration.ofMinutes(10)), null);
        spike2.setLabels(Map.of("service", "checkout"));
        eventsIn.pipeInput("pod-2", spike2, NOW.plus(Duration.ofMinutes(10)));
        Event spike3 = event("monitoring", "error.spike", "pod-3", NOW.plus(Duration.ofMinutes(40)), null);
        spike3.setLabels(Map.of("service", "checkout"));
        eventsIn.pipeInput("pod-3", spike3, NOW.plus(Duration.ofMinutes(40)));

        assertThat(correlationDecisions())
                .extracting(d -> only(d).getOutcome())
                .containsExactly(Outcome.CONDITION_FALSE, Outcome.NOTED, Outcome.FIRED, Outcome.CONDITION_FALSE);
        List<Action> sent = values(actions("chat"));
        assertThat(sent)
                .extracting(a -> a.getParams().get("text"))
                .containsExactly("errors on checkout after a deploy");
    }

    @Test
    void changingWhatARuleCorrelatesResetsItsStateAndRemovingItDropsIt() {
        applyRule(THREE_FAILURES);
        failure("web-1", NOW);
        failure("web-1", NOW);
        KeyValueStore<String, CorrelationState> states =
                driver.getKeyValueStore(ReflexTopology.CORRELATION_STATE_STORE);
        assertThat(states.get("page-on-failures/web-1").getCounted()).hasSize(2);

        applyRule(THREE_FAILURES.replace("atLeast: 3", "atLeast: 4"));
        driver.advanceWallClockTime(Duration.ofSeconds(1));
        assertThat(states.get("page-on-failures/web-1")).isNull();
        failure("web-1", NOW);
        assertThat(only(correlationDecisions().get(2)).getDetail()).startsWith("1 of 4");

        rules.pipeInput("page-on-failures", null);
        driver.advanceWallClockTime(Duration.ofSeconds(1));
        assertThat(states.get("page-on-failures/web-1")).isNull();
    }

    @Test
    void idleKeysExpire() {
        applyRule(THREE_FAILURES);
        failure("web-1", NOW);
        KeyValueStore<String, CorrelationState> states =
                driver.getKeyValueStore(ReflexTopology.CORRELATION_STATE_STORE);
        driver.advanceWallClockTime(Duration.ofMinutes(30));
        assertThat(states.get("page-on-failures/web-1")).isNotNull();
        driver.advanceWallClockTime(Duration.ofMinutes(2)); // 30m throttle + 1m lateness since its last change
        assertThat(states.get("page-on-failures/web-1")).isNull();
    }
}
