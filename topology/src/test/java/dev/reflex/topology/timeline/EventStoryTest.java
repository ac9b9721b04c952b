package dev.reflex.topology.timeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.reflex.topology.timeline.TimelineEntry.Kind;

class EventStoryTest {
    private static TimelineEntry entry(String id, long time) {
        return new TimelineEntry(
                id,
                Kind.FLOW,
                time,
                "e1",
                null,
                null,
                null,
                null,
                "advanced",
                id,
                List.of(),
                "f/k#1",
                List.of(),
                null,
                null);
    }

    @Test
    void entriesStoredBesideTheHeadAreMergedOnceEachOldestFirstAndCapped() {
        EventStory head = new EventStory("e1", 1_000, List.of("a", "*"), List.of(), null, List.of(entry("old", 5)), 0);
        List<TimelineEntry> beside = new ArrayList<>();
        beside.add(entry("old", 5)); // also in a head written whole by an earlier version
        for (int i = 0; i < 250; i++) {
            beside.add(entry("t" + i, 1_000L + (i * 7L) % 250));
        }
        EventStory story = head.withEntries(beside);
        assertEquals(EventStory.MAX_ENTRIES, story.entries().size());
        assertEquals(251 - EventStory.MAX_ENTRIES, story.dropped());
        assertEquals("old", story.entries().get(0).id());
        for (int i = 1; i < story.entries().size(); i++) {
            assertEquals(
                    true,
                    story.entries().get(i - 1).time() <= story.entries().get(i).time(),
                    "oldest first at " + i);
        }
        assertEquals(head, head.withEntries(List.of()));
    }
}
