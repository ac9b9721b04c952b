package dev.reflex.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.test.TestRecord;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.reflex.schemas.ActionResult;
import dev.reflex.schemas.ActionStatus;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.Event;

/**
 * reflex.evaluate.partitioning=auto, the default: an event is evaluated where it is normalized when its ingest record is
 * keyed as reflex.events keys it, and from reflex.events otherwise; either way exactly once, and the mark on
 * reflex.events keeps the reader of that topic from evaluating it again under any setting.
 */
class AutoPartitioningTest extends TopologyTestBase {
    @BeforeEach
    void rule() {
        applyTickRule();
    }

    private void ingestKeyed(String key, String json) {
        ingest("timer", key, "application/json", json.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    private List<String> decided() {
        return decisions.readValuesToList().stream().map(Decision::getEventId).toList();
    }

    @Test
    void anEventKeyedByItsSubjectIsEvaluatedAtIngestAndMarkedOnTheEventsTopic() {
        ingestKeyed("a", "{\"id\":\"t-1\",\"type\":\"tick\",\"subject\":\"a\"}");

        TestRecord<String, Event> event = events.readRecord();
        assertThat(event.value().getId()).isEqualTo("t-1");
        assertThat(Partitioning.wasEvaluated(event.headers())).isTrue();
        assertThat(decided()).containsExactly("t-1");
        assertThat(actions("ops").readValuesToList()).hasSize(1);
    }

    @Test
    void anEventKeyedOtherwiseOrNotAtAllGoesThroughTheEventsTopicUnmarked() {
        ingestKeyed(null, "{\"id\":\"t-2\",\"type\":\"tick\",\"subject\":\"a\"}");
        ingestKeyed("not-the-subject", "{\"id\":\"t-3\",\"type\":\"tick\",\"subject\":\"a\"}");

        List<TestRecord<String, Event>> written = events.readRecordsToList();
        assertThat(written).extracting(r -> r.value().getId()).containsExactly("t-2", "t-3");
        assertThat(written)
                .allSatisfy(
                        r -> assertThat(Partitioning.wasEvaluated(r.headers())).isFalse());
        assertThat(decided()).containsExactly("t-2", "t-3");
        assertThat(actions("ops").readValuesToList()).hasSize(2);
    }

    @Test
    void anEventWithoutASubjectIsEvaluatedAtIngestWhenKeyedByItsId() {
        ingestKeyed("t-4", "{\"id\":\"t-4\",\"type\":\"tick\"}");

        assertThat(Partitioning.wasEvaluated(events.readRecord().headers())).isTrue();
        assertThat(decided()).containsExactly("t-4");
    }

    @Test
    void duplicatesKeyedAlikeAreCaughtAtIngest() {
        ingestKeyed("a", "{\"id\":\"t-5\",\"type\":\"tick\",\"subject\":\"a\"}");
        ingestKeyed("a", "{\"id\":\"t-5\",\"type\":\"tick\",\"subject\":\"a\"}");

        assertThat(decided()).containsExactly("t-5");
    }

    @Test
    void aResultKeyedByItsTargetIsEvaluatedAtIngestAndOneKeyedByActionIdIsNot() {
        applyRule("""
            id: note-failures
            when: {source: reflex, type: action.failed}
            then:
              - system: ops
                action: note
            """);
        var results = driver.createInputTopic(
                topics.actionResults().name(),
                topics.actionResults().keySerde().serializer(),
                topics.actionResults().valueSerde().serializer());
        results.pipeInput("api-7", failed("a-1", "api-7"));
        results.pipeInput("a-2", failed("a-2", "api-8"));

        List<TestRecord<String, Event>> written = events.readRecordsToList();
        assertThat(written)
                .extracting(r -> r.value().getId(), r -> Partitioning.wasEvaluated(r.headers()))
                .containsExactly(Tuple.tuple("result-a-1", true), Tuple.tuple("result-a-2", false));
        assertThat(decided()).containsExactlyInAnyOrder("result-a-1", "result-a-2");
    }

    private static ActionResult failed(String actionId, String target) {
        return ActionResult.newBuilder()
                .setActionId(actionId)
                .setSystem("ops")
                .setAction("restart")
                .setTarget(target)
                .setStatus(ActionStatus.FAILED)
                .setAttempts(1)
                .setEventId("e-" + actionId)
                .setRuleId("r")
                .setFinishedAt(NOW)
                .build();
    }

    @Test
    void underEverySettingTheReaderOfTheEventsTopicPassesOverMarkedEvents() {
        for (Partitioning partitioning : List.of(Partitioning.SUBJECT, Partitioning.AUTO)) {
            restart(options().withPartitioning(partitioning));
            applyTickRule();
            RecordHeaders marked = new RecordHeaders();
            Partitioning.markEvaluated(marked);
            eventsIn.pipeInput(new TestRecord<>("a", tick("m-1"), marked, NOW));
            eventsIn.pipeInput(new TestRecord<>("a", tick("u-1"), new RecordHeaders(), NOW));

            assertThat(decided()).as(partitioning.setting()).containsExactly("u-1");
        }
    }

    private static Event tick(String id) {
        return Event.newBuilder()
                .setId(id)
                .setSource("timer")
                .setType("tick")
                .setSubject("a")
                .setTime(NOW)
                .build();
    }
}
