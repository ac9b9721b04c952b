package dev.reflex.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class StallsTest {
    private static final TopicPartition P0 = new TopicPartition("r.ingest.web", 0);
    private static final TopicPartition P1 = new TopicPartition("r.ingest.web", 1);

    private final Stalls stalls = new Stalls(10_000);
    private final Map<TopicPartition, Long> committed = new HashMap<>();
    private final Map<TopicPartition, Long> ends = new HashMap<>();
    private final Map<Integer, Long> restores = new HashMap<>();

    private java.util.List<Stalls.Stall> round(long now, Set<TopicPartition> owned) {
        return stalls.round(now, owned, committed, ends, p -> false, restores);
    }

    @Test
    void aPartitionWithInputLeftAndNoCommitForTheTimeoutStandsStill() {
        committed.put(P0, 5L);
        ends.put(P0, 9L);
        committed.put(P1, 3L);
        ends.put(P1, 3L);
        assertThat(round(0, Set.of(P0, P1))).isEmpty();
        assertThat(round(9_999, Set.of(P0, P1))).isEmpty();
        assertThat(round(10_000, Set.of(P0, P1))).singleElement().satisfies(s -> {
            assertThat(s.partition()).isEqualTo(P0);
            assertThat(s.committed()).isEqualTo(5);
            assertThat(s.end()).isEqualTo(9);
            assertThat(s.toString()).contains("r.ingest.web-0", "no progress for 10 s");
        });
    }

    @Test
    void aCommitStartsTheWaitAgain() {
        committed.put(P0, 5L);
        ends.put(P0, 100L);
        round(0, Set.of(P0));
        committed.put(P0, 6L);
        assertThat(round(8_000, Set.of(P0))).isEmpty();
        assertThat(round(17_000, Set.of(P0))).isEmpty();
        assertThat(round(18_000, Set.of(P0))).hasSize(1);
    }

    @Test
    void aPartitionWithoutCommittedOffsetButWithInputIsWatchedToo() {
        ends.put(P0, 4L);
        round(0, Set.of(P0));
        assertThat(round(10_000, Set.of(P0)))
                .singleElement()
                .satisfies(s -> assertThat(s.committed()).isEqualTo(-1));
    }

    @Test
    void restoringStateOfThePartitionsTaskIsProgress() {
        committed.put(P0, 5L);
        ends.put(P0, 9L);
        round(0, Set.of(P0));
        restores.put(0, 6_000L);
        assertThat(round(10_000, Set.of(P0))).isEmpty();
        assertThat(round(19_000, Set.of(P0))).isEmpty();
        assertThat(round(20_000, Set.of(P0))).hasSize(1);
        restores.put(1, 20_000L);
        assertThat(round(20_500, Set.of(P0))).as("another partition's restore").hasSize(1);
    }

    @Test
    void nothingButMarkersOrAnAbortedTailToReadIsNotInputLeft() {
        committed.put(P0, 5L);
        ends.put(P0, 9L);
        stalls.round(0, Set.of(P0), committed, ends, p -> true, restores);
        assertThat(stalls.round(60_000, Set.of(P0), committed, ends, p -> true, restores))
                .isEmpty();
    }

    @Test
    void aPartitionNoLongerOwnedOrAResetIsForgotten() {
        committed.put(P0, 5L);
        ends.put(P0, 9L);
        round(0, Set.of(P0));
        round(5_000, Set.of());
        assertThat(round(10_000, Set.of(P0))).as("owned again at 10 s").isEmpty();
        assertThat(round(19_000, Set.of(P0))).isEmpty();
        stalls.reset();
        assertThat(round(20_000, Set.of(P0))).isEmpty();
        assertThat(round(30_000, Set.of(P0))).hasSize(1);
    }
}
