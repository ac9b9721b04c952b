package dev.reflex.topology;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Every evaluation test again with reflex.evaluate.partitioning=ingest, plus what differs in that mode. */
class EvaluateAtIngestTest extends EvaluateTest {
    @Override
    TopologyOptions options() {
        return super.options().withPartitioning(Partitioning.INGEST);
    }

    @Test
    void eventsAreStillRecordedOnTheEventsTopicAndEvaluatedOnce() {
        applyRule("""
            id: any-tick
            when: {source: timer, type: tick}
            then:
              - system: ops
                action: note
            """);
        ingestJson("timer", "{\"id\":\"t-1\",\"type\":\"tick\",\"subject\":\"a\"}");
        assertThat(events.readValue().getId()).isEqualTo("t-1");
        assertThat(actions("ops").readValue().getEventId()).isEqualTo("t-1");

        assertThat(decisions.readValuesToList()).extracting(d -> d.getEventId()).containsExactly("t-1");
        assertThat(events.isEmpty()).isTrue();
    }
}
