package dev.reflex.topology.timeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.reflex.rules.systems.SystemCatalog;
import dev.reflex.schemas.DeadLetter;
import dev.reflex.schemas.DeadLetters;
import dev.reflex.topology.GlobalDeadLetters;
import dev.reflex.topology.InputProgress;
import dev.reflex.topology.internals.RecordDeadLetters;
import dev.reflex.topology.timeline.Attributions.Attribution;
import dev.reflex.topology.timeline.TimelineEntry.Kind;

/**
 * Puts each input on the timelines of its systems. Inputs arrive keyed by event id, so an event's story, its decisions,
 * results and flow transitions meet in one task: the event is attributed with the catalog (the systems it matches and
 * their aggregates, plus {@link TimelineTopology#ALL}), and what came of it goes to the same systems. What arrives
 * before its event waits in a changelogged store until the timeline is known to have read everything that reached
 * Kafka before it ({@code progress}; its event, reaching Kafka earlier, would then be here) or {@code pendingWait} has
 * passed, and is then attributed by its own attributes. Everything is masked with the masks of its systems before it is
 * stored.
 */
final class AttributeProcessor implements Processor<String, byte[], Void, Void> {
    private static final Logger LOG = LoggerFactory.getLogger(AttributeProcessor.class);
    private static final TypeReference<List<Pending>> PENDING = new TypeReference<>() {};

    /** An input waiting for its event, and since when (wall clock). */
    record Pending(TimelineInput input, long since) {}

    private final Attributions attributions;
    private final Duration pendingWait;
    private final InputProgress progress;
    private final GlobalDeadLetters deadLetters;
    private final String reader;
    private final TimelineListener listener;
    private ProcessorContext<Void, Void> context;
    private WindowStore<String, byte[]> timeline;
    private WindowStore<String, byte[]> state;
    private WindowStore<String, String> recurrence;
    private WindowStore<String, byte[]> stories;
    private KeyValueStore<String, byte[]> pending;
    /**
     * The earliest wall-clock time an input in {@link #pending} began waiting (Long.MAX_VALUE: none; unknown after a
     * start, when the store is scanned once): the store is only scanned when one may be overdue.
     */
    private long earliestPending = Long.MIN_VALUE;

    AttributeProcessor(
            Supplier<SystemCatalog> catalog,
            Duration pendingWait,
            InputProgress progress,
            GlobalDeadLetters deadLetters,
            String reader,
            TimelineListener listener) {
        this.attributions = new Attributions(catalog);
        this.pendingWait = pendingWait;
        this.progress = progress;
        this.deadLetters = deadLetters;
        this.reader = reader;
        this.listener = listener;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        this.context = context;
        timeline = context.getStateStore(TimelineTopology.TIMELINE_STORE);
        state = context.getStateStore(TimelineTopology.STATE_STORE);
        recurrence = context.getStateStore(TimelineTopology.RECURRENCE_STORE);
        stories = context.getStateStore(TimelineTopology.STORIES_STORE);
        pending = context.getStateStore(TimelineTopology.PENDING_STORE);
        context.schedule(Duration.ofSeconds(1), PunctuationType.WALL_CLOCK_TIME, this::attributeOverdue);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        TimelineInput input;
        try {
            if (record.key() == null) {
                throw new IllegalArgumentException("a timeline input without key: the key is the event id");
            }
            input = InputCodec.decode(record.value());
        } catch (IllegalArgumentException e) {
            deadLetter(record, e);
            return;
        }
        String key = record.key();
        switch (input.entry().kind()) {
            case EVENT -> event(key, input);
            case RULE ->
                put(
                        input.entry(),
                        input.match() == null
                                ? new TreeSet<>()
                                : attributions
                                        .catalog()
                                        .systemsSeenBy(
                                                input.match().source(),
                                                input.match().type()));
            default -> attach(key, input);
        }
    }

    private void event(String eventId, TimelineInput input) {
        // the same event again (a producer's retry, a replayed topic) has the same time, under which its head is
        // stored:
        // one point read, where looking for the head at any time walked every segment of the store (a tenth of the
        // timeline's CPU, for a miss nearly every time)
        if (stories.fetch(eventId, input.entry().time()) != null) {
            return; // it is on the timeline once
        }
        Attribution a = attributions.of(input.match());
        JsonNode data = Masks.tree(input.entry().data());
        TimelineEntry event = withSummary(a.masks().apply(input.entry(), data), data);
        List<String> on = withAll(a.systems());
        EventStory head = new EventStory(
                eventId, event.time(), on, new ArrayList<>(a.maskNames()), event.withSystems(on), List.of(), 0);
        stories.put(eventId, head.toJson(), event.time());
        if (input.listed()) {
            put(event, a.systems());
            recurrence.put(Recurrence.key(event.type(), event.subject()), Recurrence.value(on, eventId), event.time());
        }
        byte[] waiting = pending.get(eventId);
        if (waiting != null) {
            pending.delete(eventId);
            for (Pending p : pendings(waiting)) {
                attach(eventId, p.input());
            }
        }
    }

    /**
     * Adds a decision, result or flow transition to its event's story, on the event's systems (a result also on those
     * its own target matches). A decision carries its event's source, type and subject, so unless labels decide the
     * systems it is attributed without waiting for its event; the others wait for their event in {@link #pending}.
     * Each is stored under its own key beside the story's head, so adding one neither reads nor rewrites the story.
     */
    private void attach(String eventId, TimelineInput input) {
        TimelineEntry entry = input.entry();
        // a decision's own attributes give its event's systems, whether or not the event came yet
        Attribution a = entry.kind() == Kind.DECISION && input.match() != null ? attributions.of(input.match()) : null;
        if (a == null || a.byLabels()) {
            EventStory head = head(eventId);
            if (head == null) {
                List<Pending> waiting = new ArrayList<>(pendings(pending.get(eventId)));
                long now = context.currentSystemTimeMs();
                waiting.add(new Pending(input, now));
                pending.put(eventId, toJson(waiting));
                earliestPending = Math.min(earliestPending, now);
                return;
            }
            if (head.entries().stream().anyMatch(e -> e.id().equals(entry.id()))) {
                return; // seen before (a story written whole, by an earlier version)
            }
            SortedSet<String> systems = new TreeSet<>(head.systems());
            systems.remove(TimelineTopology.ALL);
            if (entry.kind() == Kind.RESULT && input.match() != null) {
                systems.addAll(attributions.of(input.match()).systems());
            }
            a = attributions.of(systems);
        }
        String key = EventStory.entryKey(eventId, entry.id());
        if (stories.fetch(key, entry.time()) != null) {
            return; // seen before: entries are on the timeline once
        }
        TimelineEntry masked = a.masks().apply(entry);
        if (input.listed()) {
            put(masked, a.systems());
        }
        stories.put(key, masked.withSystems(withAll(a.systems())).toJson(), entry.time());
    }

    /**
     * Inputs whose event is not coming (the input read up to when they came) or did not come within the wait, attributed
     * by their own attributes (the trigger's, for a flow's).
     */
    private void attributeOverdue(long now) {
        long readUpTo = progress.readUpTo(context.taskId().partition());
        if (earliestPending != Long.MIN_VALUE && !overdue(earliestPending, now, readUpTo)) {
            return; // none can be overdue yet
        }
        long earliest = Long.MAX_VALUE;
        List<KeyValue<String, byte[]>> due = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> it = pending.all()) {
            while (it.hasNext()) {
                due.add(it.next());
            }
        }
        for (KeyValue<String, byte[]> kv : due) {
            List<Pending> waiting = pendings(kv.value);
            List<Pending> still = new ArrayList<>();
            for (Pending p : waiting) {
                if (!overdue(p.since(), now, readUpTo)) {
                    still.add(p);
                    earliest = Math.min(earliest, p.since());
                    continue;
                }
                TimelineInput.Match m = p.input().match();
                Attribution a = m == null ? attributions.of(new TreeSet<>()) : attributions.of(m);
                TimelineEntry masked = a.masks().apply(p.input().entry());
                if (p.input().listed()) {
                    put(masked, a.systems());
                }
                // in its event's story too, should the event come after all (its partition behind by more than the
                // wait): the story is read as its head and the entries stored beside it
                String key = EventStory.entryKey(kv.key, masked.id());
                if (stories.fetch(key, masked.time()) == null) {
                    stories.put(key, masked.withSystems(withAll(a.systems())).toJson(), masked.time());
                }
            }
            if (still.isEmpty()) {
                pending.delete(kv.key);
            } else if (still.size() != waiting.size()) {
                pending.put(kv.key, toJson(still));
            }
        }
        earliestPending = earliest;
    }

    /**
     * Whether an input waiting since {@code since} waits no more: everything that reached Kafka before it has been read
     * (its event reached Kafka before the input was written), or the wait is over.
     */
    private boolean overdue(long since, long now, long readUpTo) {
        return readUpTo >= since || now - since >= pendingWait.toMillis();
    }

    /** Stores the entry, as listed, on each of {@code systems} and on {@link TimelineTopology#ALL}. */
    private void put(TimelineEntry entry, SortedSet<String> systems) {
        List<String> on = withAll(systems);
        TimelineEntry onTimeline = entry.listed(on);
        byte[] listed = onTimeline.toJson();
        boolean makesState = SystemState.makes(entry);
        for (String system : on) {
            timeline.put(system, listed, entry.time());
            if (makesState) {
                state.put(system, listed, entry.time());
            }
        }
        listener.recorded(onTimeline);
    }

    private static List<String> withAll(SortedSet<String> systems) {
        List<String> on = new ArrayList<>(systems);
        on.remove(TimelineTopology.ALL);
        on.add(TimelineTopology.ALL);
        return on;
    }

    private static final Pattern WHITESPACE = Pattern.compile("\\s+");
    /** Fields of an event's data that say what it is about in words, looked for in this order (also under annotations). */
    private static final List<String> WORDS = List.of("summary", "message", "description", "title", "text");
    /** Fields of generic JSON events that repeat the event's own attributes, left out of a summary made of the data. */
    private static final Set<String> ATTRIBUTES =
            Set.of("id", "type", "subject", "source", "time", "severity", "labels", "specversion", "datacontenttype");

    /** An event's line: the first words its data has for itself, else its data without its own attributes, cut. */
    static TimelineEntry withSummary(TimelineEntry event) {
        return withSummary(event, Masks.tree(event.data()));
    }

    /** {@link #withSummary(TimelineEntry)} with the event's data already read ({@link Masks#tree}). */
    static TimelineEntry withSummary(TimelineEntry event, JsonNode data) {
        if (event.summary() != null || event.data() == null) {
            return event;
        }
        String text = event.data();
        if (data != null && data.isObject()) {
            text = null;
            for (JsonNode at : List.of(data, data.path("annotations"), data.path("commonAnnotations"))) {
                for (String field : WORDS) {
                    if (text == null
                            && at.path(field).isTextual()
                            && !at.path(field).asText().isBlank()) {
                        text = at.path(field).asText();
                    }
                }
            }
            if (text == null) {
                ObjectNode rest = ((ObjectNode) data).deepCopy();
                rest.remove(ATTRIBUTES);
                text = rest.isEmpty() ? "" : rest.toString();
            }
        }
        text = WHITESPACE.matcher(text).replaceAll(" ").trim();
        return event.masked(text.length() > 160 ? text.substring(0, 157) + "..." : text, event.data(), event.detail());
    }

    /** The head of an event's story (its event, systems and masks), or null before its event. */
    private EventStory head(String eventId) {
        byte[] latest = null;
        try (WindowStoreIterator<byte[]> it = stories.fetch(eventId, 0, Long.MAX_VALUE)) {
            while (it.hasNext()) {
                latest = it.next().value;
            }
        }
        return latest == null ? null : EventStory.fromJson(latest);
    }

    private static List<Pending> pendings(byte[] json) {
        if (json == null) {
            return List.of();
        }
        try {
            return TimelineEntry.json().readValue(json, PENDING);
        } catch (IOException e) {
            LOG.warn("dropping unreadable pending timeline inputs: {}", e.getMessage());
            return List.of();
        }
    }

    private static byte[] toJson(List<Pending> waiting) {
        try {
            return TimelineEntry.json().writeValueAsBytes(waiting);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void deadLetter(Record<String, byte[]> record, RuntimeException e) {
        DeadLetter letter = RecordDeadLetters.of(
                context,
                new Record<>(
                        record.key() == null ? null : record.key().getBytes(StandardCharsets.UTF_8),
                        record.value(),
                        record.timestamp(),
                        record.headers()),
                "timeline-attribute",
                reader,
                DeadLetters.reason(e),
                e);
        LOG.warn(
                "dead-lettering unreadable timeline input {}-{}@{}: {}",
                letter.getTopic(),
                letter.getPartition(),
                letter.getOffset(),
                letter.getReason());
        deadLetters.send(letter);
    }
}
