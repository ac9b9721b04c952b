package dev.reflex.topology.timeline;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * Reads the timeline's stores, one {@link Partition} per task: a system's entries newest first (each partition's
 * backward fetch, merged), an event's story, and the earlier events of a type and subject on a system.
 */
public final class TimelineReader {
    /** Most entries one query returns. */
    public static final int MAX_LIMIT = 10_000;
    /** Most entries one query looks at in one partition when it filters by text; past it the page says {@code partial}. */
    public static final int MAX_SCANNED = 1_000_000;
    /** Newest first; among entries of one millisecond, by id. */
    public static final Comparator<TimelineEntry> NEWEST_FIRST =
            Comparator.comparingLong(TimelineEntry::time).reversed().thenComparing(TimelineEntry::id);

    /** The stores of one task. */
    public record Partition(
            ReadOnlyWindowStore<String, byte[]> timeline,
            ReadOnlyWindowStore<String, byte[]> state,
            ReadOnlyWindowStore<String, String> recurrence,
            ReadOnlyWindowStore<String, byte[]> stories) {}

    /**
     * A page of a timeline.
     *
     * @param more    whether older entries in the range were left out for the limit
     * @param partial whether the text search stopped at {@link #MAX_SCANNED} entries of a partition
     */
    public record Page(List<TimelineEntry> entries, boolean more, boolean partial) {}

    /**
     * Which entries a query wants: every entry; those that make a system's state ({@link SystemState#makes}, read from
     * their own store); or the decisions in which a rule fired (tested on the stored bytes before they are parsed, and
     * looked for among the newest {@link #FIRED_SCANNED} entries of each partition).
     */
    public enum Only {
        ALL,
        STATE,
        FIRED
    }

    /** How many entries of a partition a search for fired decisions looks at. */
    public static final int FIRED_SCANNED = 50_000;

    private static final byte[] FIRED = "\"status\":\"fired\"".getBytes(StandardCharsets.US_ASCII);

    /** One earlier occurrence: when, and the story of its event. */
    public record Occurrence(long time, EventStory story) {}

    private TimelineReader() {}

    /**
     * The entries of {@code system} from {@code from} to {@code to} (inclusive, epoch ms), newest first, at most
     * {@code limit}; {@code text} (any case), when given, must occur in the entry's id, event id, source, type, subject,
     * status, summary, flow or rules.
     */
    public static Page entries(List<Partition> partitions, String system, long from, long to, String text, int limit) {
        return entries(partitions, system, from, to, text, limit, Only.ALL);
    }

    /** As {@link #entries(List, String, long, long, String, int)}, of the entries {@code only} admits. */
    public static Page entries(
            List<Partition> partitions, String system, long from, long to, String text, int limit, Only only) {
        int max = Math.max(1, Math.min(limit, MAX_LIMIT));
        String needle = text == null || text.isBlank() ? null : text.trim().toLowerCase(Locale.ROOT);
        // stored entries are JSON: a needle of printable ASCII other than quote and backslash appears in them as it is
        byte[] ascii = needle != null && needle.chars().allMatch(c -> c >= 32 && c < 127 && c != '"' && c != '\\')
                ? needle.getBytes(StandardCharsets.US_ASCII)
                : null;
        List<List<TimelineEntry>> pages = new ArrayList<>();
        boolean more = false;
        boolean partial = false;
        int maxScanned = only == Only.FIRED ? FIRED_SCANNED : MAX_SCANNED;
        for (Partition p : partitions) {
            List<TimelineEntry> found = new ArrayList<>();
            int scanned = 0;
            ReadOnlyWindowStore<String, byte[]> store = only == Only.STATE ? p.state() : p.timeline();
            try (WindowStoreIterator<byte[]> it =
                    store.backwardFetch(system, Instant.ofEpochMilli(from), Instant.ofEpochMilli(to))) {
                while (it.hasNext()) {
                    KeyValue<Long, byte[]> next = it.next();
                    if (++scanned > maxScanned) {
                        partial = true;
                        break;
                    }
                    if (only == Only.FIRED && !containsIgnoringCase(next.value, FIRED)
                            || ascii != null && !containsIgnoringCase(next.value, ascii)) {
                        continue;
                    }
                    TimelineEntry entry = TimelineEntry.fromJson(next.value);
                    if (needle != null && !entry.mentions(needle)) {
                        continue;
                    }
                    if (found.size() == max) {
                        more = true;
                        break;
                    }
                    found.add(entry);
                }
            }
            pages.add(found);
        }
        Page merged = merge(pages, max);
        return new Page(merged.entries(), more || merged.more(), partial);
    }

    /** Whether {@code lowerAscii} occurs in {@code bytes}, ASCII letters compared without case: a cheap test before parsing. */
    static boolean containsIgnoringCase(byte[] bytes, byte[] lowerAscii) {
        int n = lowerAscii.length;
        outer:
        for (int i = 0; i + n <= bytes.length; i++) {
            for (int j = 0; j < n; j++) {
                byte b = bytes[i + j];
                if (b >= 'A' && b <= 'Z') {
                    b = (byte) (b + ('a' - 'A'));
                }
                if (b != lowerAscii[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    /** Pages of one timeline (from several partitions or instances) as one, newest first, at most {@code limit}. */
    public static Page merge(List<List<TimelineEntry>> pages, int limit) {
        List<TimelineEntry> all = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (List<TimelineEntry> page : pages) {
            for (TimelineEntry entry : page) {
                if (seen.add(entry.id())) {
                    all.add(entry);
                }
            }
        }
        all.sort(NEWEST_FIRST);
        boolean more = all.size() > limit;
        return new Page(more ? List.copyOf(all.subList(0, limit)) : all, more, false);
    }

    /** The story of event {@code eventId}, from whichever partition holds it. */
    public static Optional<EventStory> story(List<Partition> partitions, String eventId) {
        for (Partition p : partitions) {
            EventStory story = story(p, eventId);
            if (story != null) {
                return Optional.of(story);
            }
        }
        return Optional.empty();
    }

    /**
     * The events of {@code type} about {@code subject} on {@code system} from {@code from} to {@code to}, newest first,
     * at most {@code limit}, each with its story (what was done).
     */
    public static List<Occurrence> occurrences(
            List<Partition> partitions, String system, String type, String subject, long from, long to, int limit) {
        List<Occurrence> found = new ArrayList<>();
        String byType = Recurrence.key(type, subject);
        for (Partition p : partitions) {
            int n = 0;
            for (String key : List.of(byType, Recurrence.keyOnSystem(system, type, subject))) {
                boolean bySystem = key.equals(byType);
                try (WindowStoreIterator<String> it =
                        p.recurrence().backwardFetch(key, Instant.ofEpochMilli(from), Instant.ofEpochMilli(to))) {
                    while (it.hasNext() && n < limit) {
                        KeyValue<Long, String> next = it.next();
                        String eventId = bySystem ? Recurrence.eventOn(next.value, system) : next.value;
                        EventStory story = eventId == null ? null : story(p, eventId);
                        if (story != null) {
                            found.add(new Occurrence(next.key, story));
                            n++;
                        }
                    }
                }
            }
        }
        found.sort(Comparator.comparingLong(Occurrence::time).reversed());
        return found.size() > limit ? List.copyOf(found.subList(0, limit)) : found;
    }

    /** How many events of {@code type} about {@code subject} were on {@code system} from {@code from} to {@code to}. */
    public static long count(
            List<Partition> partitions, String system, String type, String subject, long from, long to) {
        long n = 0;
        for (Partition p : partitions) {
            try (WindowStoreIterator<String> it = p.recurrence()
                    .fetch(Recurrence.key(type, subject), Instant.ofEpochMilli(from), Instant.ofEpochMilli(to))) {
                while (it.hasNext()) {
                    n += Recurrence.eventOn(it.next().value, system) == null ? 0 : 1;
                }
            }
            try (WindowStoreIterator<String> it = p.recurrence()
                    .fetch(
                            Recurrence.keyOnSystem(system, type, subject),
                            Instant.ofEpochMilli(from),
                            Instant.ofEpochMilli(to))) {
                while (it.hasNext()) {
                    it.next();
                    n++;
                }
            }
        }
        return n;
    }

    /**
     * The latest time a key-range fetch asks for. A window store's range scan ends at the upper key cut short before its
     * first byte below the first byte of the end time: up to {@link Long#MAX_VALUE} (first byte 0x7f) that leaves one
     * byte of an event id, and the scan reads every story after it. A time below 2^56 (first byte 0; the year 2 million)
     * keeps the whole key.
     */
    static final long RANGE_END = (1L << 56) - 1;

    /** The story of {@code eventId} in one partition: its head with the entries stored beside it; null without a head. */
    private static EventStory story(Partition p, String eventId) {
        byte[] head = latest(p.stories(), eventId);
        if (head == null) {
            return null;
        }
        List<TimelineEntry> entries = new ArrayList<>();
        try (KeyValueIterator<Windowed<String>, byte[]> it = p.stories()
                .fetch(
                        EventStory.firstEntryKey(eventId),
                        EventStory.pastEntryKeys(eventId),
                        Instant.EPOCH,
                        Instant.ofEpochMilli(RANGE_END))) {
            while (it.hasNext()) {
                entries.add(TimelineEntry.fromJson(it.next().value));
            }
        }
        return EventStory.fromJson(head).withEntries(entries);
    }

    private static byte[] latest(ReadOnlyWindowStore<String, byte[]> stories, String eventId) {
        byte[] latest = null;
        try (WindowStoreIterator<byte[]> it =
                stories.fetch(eventId, Instant.EPOCH, Instant.ofEpochMilli(Long.MAX_VALUE))) {
            while (it.hasNext()) {
                latest = it.next().value;
            }
        }
        return latest;
    }
}
