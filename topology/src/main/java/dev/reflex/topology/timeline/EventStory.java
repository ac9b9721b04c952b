package dev.reflex.topology.timeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * An event's story as the timeline keeps it: the event (data masked), the systems it belongs to and the names masked
 * there, and every decision, action result and flow transition that came of it (with their detail, masked), oldest
 * first, at most {@link #MAX_ENTRIES}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record EventStory(
        String eventId,
        long time,
        List<String> systems,
        List<String> masks,
        TimelineEntry event,
        List<TimelineEntry> entries,
        int dropped) {
    public static final int MAX_ENTRIES = 200;

    public EventStory {
        systems = systems == null ? List.of() : List.copyOf(systems);
        masks = masks == null ? List.of() : List.copyOf(masks);
        entries = entries == null ? List.of() : List.copyOf(entries);
    }

    /** The story with {@code entry} added (or, past the limit, counted as dropped). */
    public EventStory with(TimelineEntry entry) {
        if (entries.stream().anyMatch(e -> e.id().equals(entry.id()))) {
            return this;
        }
        if (entries.size() >= MAX_ENTRIES) {
            return new EventStory(eventId, time, systems, masks, event, entries, dropped + 1);
        }
        List<TimelineEntry> more = new ArrayList<>(entries);
        more.add(entry);
        return new EventStory(eventId, time, systems, masks, event, more, dropped);
    }

    public byte[] toJson() {
        try {
            return TimelineEntry.json().writeValueAsBytes(this);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static EventStory fromJson(byte[] json) {
        try {
            return TimelineEntry.json().readValue(json, EventStory.class);
        } catch (IOException e) {
            throw new IllegalArgumentException("not an event story: " + e.getMessage(), e);
        }
    }
}
