package dev.reflex.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
        applyTickRule();
    }

    private void send(String id) {
        Event tick = Event.newBuilder()
                .setId(id)
                .setSource("timer")
                .setType("tick")
                .setSubject("a")
                .setTime(NOW)
                .build();
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
    void theStoreKeepsTwoBucketsOnDiskAndDropsOlderSegments() throws IOException {
        send("t-1");
        advance(Duration.ofHours(1));
        send("t-2");
        assertThat(segments()).hasSize(2);
        advance(Duration.ofHours(1));
        send("t-3");

        assertThat(segments())
                .as("the first hour's segment is dropped once the third hour begins")
                .hasSize(2);
        assertThat(decided()).containsExactly("t-1", "t-2", "t-3");
    }

    /** The segment directories of the seen-events store (the one reflex.events is deduplicated with) in every task. */
    private List<Path> segments() throws IOException {
        try (var files = Files.walk(stateDir)) {
            return files.filter(Files::isDirectory)
                    .filter(dir -> dir.getFileName().toString().startsWith(ReflexTopology.SEEN_EVENTS_STORE + "."))
                    .toList();
        }
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
