package dev.reflex.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.reflex.schemas.Decision;
import dev.reflex.schemas.Event;

/**
 * Duplicate detection on reflex.events: an id seen within the retention (one hour by default, by the wall clock) is
 * dropped, across the boundary of the store's hour-wide buckets too, and passes again once the retention is over.
 * The driver's clock starts on a bucket boundary (NOW is a whole hour).
 */
class DeduplicateTest extends TopologyTestBase {
    @BeforeEach
    void rule() {
        applyRule("""
            id: note-ticks
            when: {source: timer, type: tick}
            then:
              - system: ops
                action: note
            """);
    }

    private void send(String id) {
        Event tick = Event.newBuilder().setId(id).setSource("timer").setType("tick").setSubject("a").setTime(NOW).build();
        eventsIn.pipeInput("a", tick, NOW);
    }

    private List<String> decided() {
        return decisions.readValuesToList().stream().map(Decision::getEventId).toList();
    }

    private void advance(Duration by) {
        driver.advanceWallClockTime(by);
    }

    @Test
    void anIdSeenWithinTheSameBucketIsDroppedOthersPass() {
        send("t-1");
        advance(Duration.ofMinutes(59));
        send("t-1");
        send("t-2");

        assertThat(decided()).containsExactly("t-1", "t-2");
    }

    @Test
    void anIdSeenInThePreviousBucketWithinTheRetentionIsDropped() {
        advance(Duration.ofMinutes(30));
        send("t-1");
        advance(Duration.ofMinutes(50));
        send("t-1");

        assertThat(decided()).containsExactly("t-1");
    }

    @Test
    void anIdPassesAgainOnceTheRetentionIsOverAndIsThenRememberedAnew() {
        advance(Duration.ofMinutes(30));
        send("t-1");
        advance(Duration.ofHours(1).plusMillis(1));
        send("t-1");
        advance(Duration.ofMinutes(10));
        send("t-1");

        assertThat(decided()).containsExactly("t-1", "t-1");
    }

    @Test
    void anIdSeenTwoBucketsAgoIsForgotten() {
        send("t-1");
        advance(Duration.ofHours(2));
        send("t-1");

        assertThat(decided()).containsExactly("t-1", "t-1");
    }

    @Test
    void aRetentionOfZeroPassesEveryEvent() {
        restart(options().withDedupRetention(Duration.ZERO));
        rule();
        send("t-1");
        send("t-1");

        assertThat(decided()).containsExactly("t-1", "t-1");
    }
}
