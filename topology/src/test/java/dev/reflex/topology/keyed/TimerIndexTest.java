package dev.reflex.topology.keyed;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The timer index over a real (in-memory) key-value store: what each scan finds, and what it may skip. */
class TimerIndexTest {
    private final KeyValueStore<String, String> store = Stores.keyValueStoreBuilder(
                    Stores.inMemoryKeyValueStore("correlation-deadlines"), Serdes.String(), Serdes.String())
            .withLoggingDisabled()
            .build();
    private TimerIndex timers;

    @BeforeEach
    void init() {
        store.init(new MockProcessorContext<>().getStateStoreContext(), store);
        timers = new TimerIndex(store);
    }

    private List<String> due(long now, int limit) {
        return timers.due(now, limit).stream()
                .map(d -> d.dueAt() + " " + d.stateKey())
                .toList();
    }

    @Test
    void aScanFindsWhatIsDueEarliestFirstUpToItsLimitAndAMovedTimerOnlyAtItsNewTime() {
        timers.move("r/a", null, 300L);
        timers.move("r/b", null, 100L);
        timers.move("r/c", null, 200L);
        timers.moveAll("f/x", List.of(), List.of(250L, 900L));
        assertThat(due(50, 10)).isEmpty();
        assertThat(due(260, 2)).containsExactly("100 r/b", "200 r/c");
        timers.move("r/b", 100L, null);
        timers.move("r/c", 200L, 1_000L);
        assertThat(due(260, 10)).containsExactly("250 f/x");
        timers.moveAll("f/x", List.of(250L, 900L), List.of(900L));
        assertThat(due(1_000, 10)).containsExactly("300 r/a", "900 f/x", "1000 r/c");
    }

    @Test
    void scansSkipWhatEarlierScansFoundGoneButATimerPutBeforeThatIsStillFound() {
        timers.move("r/a", null, 100L);
        assertThat(due(150, 10)).containsExactly("100 r/a");
        timers.forget(new TimerIndex.Due(100, "r/a"));
        assertThat(due(5_000, 10)).isEmpty();
        // overdue already when armed (a flow's retry computed from an old event, a clock set back): still found
        timers.move("r/late", null, 40L);
        timers.moveAll("f/y", List.of(), List.of(4_000L));
        assertThat(due(5_000, 10)).containsExactly("40 r/late", "4000 f/y");
        // a scan for a time before what is known to be empty finds nothing, without scanning backwards
        timers.forget(new TimerIndex.Due(40, "r/late"));
        timers.forget(new TimerIndex.Due(4_000, "f/y"));
        assertThat(due(6_000, 10)).isEmpty();
        assertThat(due(10, 10)).isEmpty();
        timers.move("r/b", null, 5L);
        assertThat(due(10, 10)).containsExactly("5 r/b");
    }
}
