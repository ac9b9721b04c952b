package dev.reflex.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** How barriers pass the stages of input, with committed offsets and end offsets given by the test. */
class BarriersTest {
    private static final TopicPartition INGEST = new TopicPartition("ingest", 0);
    private static final TopicPartition EVENTS = new TopicPartition("events", 0);
    private static final TopicPartition CORRELATE_0 = new TopicPartition("correlate", 0);
    private static final TopicPartition CORRELATE_1 = new TopicPartition("correlate", 1);

    private final Map<TopicPartition, Long> committed = new HashMap<>();
    private final Map<TopicPartition, Long> ends = new HashMap<>();
    private final Barriers barriers = new Barriers(3, BarriersTest::stage, 300);

    private static int stage(String topic) {
        return switch (topic) {
            case "ingest" -> 0;
            case "events" -> 1;
            case "correlate" -> 2;
            default -> -1;
        };
    }

    private void round(long time) {
        barriers.round(time, Map.copyOf(ends), (tp, end) -> end <= 0 || committed.getOrDefault(tp, -1L) >= end);
    }

    @Test
    void aBarrierPassesEachStageOnceTheGroupHasReadUpToItsEndsAndReleasesEachCorrelatePartitionAlone() {
        ends.putAll(Map.of(INGEST, 10L, EVENTS, 5L, CORRELATE_0, 3L, CORRELATE_1, 0L));
        round(1_000);
        assertThat(barriers.readUpTo(0)).isEqualTo(Long.MIN_VALUE);
        assertThat(barriers.pending()).isEqualTo(1);

        // the group reads the ingest backlog; its outputs to events are there when the barrier enters that stage
        committed.put(INGEST, 10L);
        ends.put(EVENTS, 8L);
        round(1_200);
        committed.put(EVENTS, 7L);
        round(1_400);
        assertThat(barriers.readUpTo(0)).isEqualTo(Long.MIN_VALUE);
        assertThat(barriers.readUpTo(1)).isEqualTo(Long.MIN_VALUE);
        // events read up to 8: every barrier enters correlate in the same round; partition 1 (empty) is released at
        // once, by the newest barrier too (nothing lags there), partition 0 once read up to 6, not before
        committed.put(EVENTS, 8L);
        ends.put(CORRELATE_0, 6L);
        round(1_600);
        assertThat(barriers.readUpTo(1)).isEqualTo(1_600);
        assertThat(barriers.readUpTo(0)).isEqualTo(Long.MIN_VALUE);
        round(1_800);
        assertThat(barriers.readUpTo(0)).isEqualTo(Long.MIN_VALUE);
        assertThat(barriers.oldestPending(2_000)).isEqualTo(1_000);
        committed.put(CORRELATE_0, 6L);
        round(2_000);
        assertThat(barriers.readUpTo(0)).isEqualTo(2_000);
        assertThat(barriers.pending()).isZero();
    }

    @Test
    void whenNothingLagsABarrierPassesEveryStageInTheRoundItIsTaken() {
        ends.putAll(Map.of(INGEST, 10L, EVENTS, 5L, CORRELATE_0, 3L, CORRELATE_1, 0L));
        committed.putAll(Map.of(INGEST, 10L, EVENTS, 5L, CORRELATE_0, 3L));
        round(1_000);
        assertThat(barriers.readUpTo(0)).isEqualTo(1_000);
        assertThat(barriers.readUpTo(1)).isEqualTo(1_000);
        assertThat(barriers.pending()).isZero();

        // one stage behind: the barrier stops there, and so does every later one, until the group catches up
        ends.put(EVENTS, 9L);
        round(1_100);
        round(1_200);
        assertThat(barriers.readUpTo(0)).isEqualTo(1_000);
        assertThat(barriers.pending()).isEqualTo(2);
        committed.put(EVENTS, 9L);
        round(1_300);
        assertThat(barriers.readUpTo(0)).isEqualTo(1_300);
        assertThat(barriers.pending()).isZero();
    }

    @Test
    void underABacklogEachBarrierPassesWhenTheGroupReachesWhatWasThereAtItsTime() {
        ends.putAll(Map.of(INGEST, 100L, CORRELATE_0, 0L));
        round(1_000);
        ends.put(INGEST, 200L);
        round(2_000);
        ends.put(INGEST, 300L);
        round(3_000);
        // the group gets through the first 200 records: the barriers of 1 s and 2 s pass, the one of 3 s does not
        committed.put(INGEST, 200L);
        for (int i = 0; i < 4; i++) {
            round(3_100 + i);
        }
        assertThat(barriers.readUpTo(0)).isEqualTo(2_000);
    }

    @Test
    void aStageWithNoPartitionIsPassedAtOnce() {
        Barriers noEvents = new Barriers(3, topic -> topic.equals("events") ? -1 : stage(topic), 300);
        Map<TopicPartition, Long> at = Map.of(INGEST, 1L, CORRELATE_0, 1L);
        noEvents.round(1_000, at, (tp, end) -> tp.topic().equals("ingest"));
        assertThat(noEvents.readUpTo(0)).isEqualTo(Long.MIN_VALUE);
        noEvents.round(1_100, at, (tp, end) -> true);
        assertThat(noEvents.readUpTo(0)).isEqualTo(1_100);
    }

    @Test
    void aLongBacklogKeepsABoundedNumberOfBarriersTheNewestAmongThem() {
        Barriers few = new Barriers(3, BarriersTest::stage, 10);
        ends.put(INGEST, 1_000_000L);
        for (int i = 1; i <= 1_000; i++) {
            few.round(i * 1_000L, Map.copyOf(ends), (tp, end) -> false);
        }
        assertThat(few.pending()).isLessThanOrEqualTo(10);
        assertThat(few.oldestPending(2_000_000)).isEqualTo(1_000);
        committed.put(INGEST, 1_000_000L);
        ends.put(CORRELATE_0, 0L);
        for (int i = 0; i < 3; i++) {
            few.round(1_000_001 + i, Map.copyOf(ends), (tp, end) -> end <= 0 || committed.getOrDefault(tp, -1L) >= end);
        }
        assertThat(few.readUpTo(0)).isGreaterThanOrEqualTo(1_000_000);
    }
}
