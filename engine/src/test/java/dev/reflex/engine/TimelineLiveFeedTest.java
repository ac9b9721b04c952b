package dev.reflex.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.reflex.topology.timeline.TimelineEntry;

class TimelineLiveFeedTest {
    private static List<TimelineEntry> entries(int count) {
        List<TimelineEntry> entries = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            entries.add(new TimelineEntry(
                    "entry-" + i,
                    TimelineEntry.Kind.EVENT,
                    1_000L + i,
                    "e-" + i,
                    "monitoring",
                    "cpu.high",
                    "web-1",
                    null,
                    null,
                    "cpu high",
                    List.of(),
                    null,
                    List.of("checkout"),
                    null,
                    Map.of()));
        }
        return entries;
    }

    /** A receiver that goes away after {@code stay} entries, as a closed browser tab does. */
    private static final class Tab implements TimelineLiveFeed.Receiver {
        final int stay;
        final List<String> got = new ArrayList<>();
        int askedAfterLeaving;

        Tab(int stay) {
            this.stay = stay;
        }

        @Override
        public boolean gone() {
            return got.size() >= stay;
        }

        @Override
        public void entry(String json, String id) {
            if (gone()) {
                askedAfterLeaving++;
            }
            assertThat(json).contains("\"id\":\"" + id + "\"");
            got.add(id);
        }
    }

    @Test
    void aBurstStopsWhenTheClientHasGoneAndOnlyWhatWasSentCountsAsSent() throws Exception {
        Tab tab = new Tab(3);
        Set<String> sent = new HashSet<>();
        int count = TimelineLiveFeed.send(entries(2_000), sent, tab);
        assertThat(count).isEqualTo(3);
        assertThat(tab.got).containsExactly("entry-0", "entry-1", "entry-2");
        assertThat(tab.askedAfterLeaving).isZero();
        assertThat(sent).containsExactlyInAnyOrder("entry-0", "entry-1", "entry-2");
    }

    @Test
    void aClientThatStaysGetsTheWholeBurstInOrder() throws Exception {
        Tab tab = new Tab(Integer.MAX_VALUE);
        Set<String> sent = new HashSet<>();
        assertThat(TimelineLiveFeed.send(entries(50), sent, tab)).isEqualTo(50);
        assertThat(tab.got).hasSize(50).startsWith("entry-0").endsWith("entry-49");
        assertThat(sent).hasSize(50);
    }
}
