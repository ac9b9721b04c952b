package dev.reflex.topology.timeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * An event's story as the timeline keeps it: the event (data masked), the systems it belongs to and the names masked
 * there, and every decision, action result and flow transition that came of it (with their detail, masked), oldest
 * first, at most {@link #MAX_ENTRIES}.
 *
 * <p>Stored in parts: the head (this record without entries) under the event id, and each entry under {@link
 * #entryKey}, so that adding an entry neither reads nor rewrites the story. Stories written whole by earlier versions
 * (entries in the head) are read the same way.
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

    /** Where an entry of the story of {@code eventId} is stored: after its head, with the story's other entries. */
    public static String entryKey(String eventId, String entryId) {
        return eventId + '\u0000' + entryId;
    }

    /** The first key {@link #entryKey} gives for {@code eventId}'s entries. */
    public static String firstEntryKey(String eventId) {
        return eventId + '\u0000';
    }

    /** A key past every {@link #entryKey} for {@code eventId}. */
    public static String pastEntryKeys(String eventId) {
        return eventId + '\u0001';
    }

    /**
     * The story with {@code more} entries (those stored under their own keys), once each, oldest first, at most {@link
     * #MAX_ENTRIES}: the others counted as dropped.
     */
    public EventStory withEntries(List<TimelineEntry> more) {
        if (more.isEmpty()) {
            return this;
        }
        Map<String, TimelineEntry> byId = new LinkedHashMap<>();
        entries.forEach(e -> byId.putIfAbsent(e.id(), e));
        more.forEach(e -> byId.putIfAbsent(e.id(), e));
        List<TimelineEntry> all = new ArrayList<>(byId.values());
        all.sort(Comparator.comparingLong(TimelineEntry::time));
        int over = Math.max(0, all.size() - MAX_ENTRIES);
        return new EventStory(eventId, time, systems, masks, event, all.subList(0, all.size() - over), dropped + over);
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
