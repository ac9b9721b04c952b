package dev.reflex.audit.history;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Utils;

import dev.reflex.rules.correlate.CorrelationSteps;
import dev.reflex.schemas.ActionResult;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.Event;

/**
 * Finds one event's recorded history on the topics by reading only the partitions its keys hash to: its decision
 * (keyed by event id), the event (keyed by subject, near the decision's record time) and its actions' results (keyed by
 * action id, from the decision on).
 */
public final class DecisionFinder {
    /** How far past its decision an event or an action result is looked for, in record time. */
    public static final long EVENT_SEARCH_MS = EventDecisionJoin.WINDOW_MS;

    /** A record found, its record time, and where it was found. */
    public record Found<T>(T value, long time, String where) {}

    private DecisionFinder() {}

    /**
     * The decision of {@code eventId}, from {@code start} on (all retained when null), with the correlation steps it
     * caused folded in, or null when there is none: only the decisions partition the event id hashes to is read.
     */
    public static Found<Decision> decision(HistoryReader reader, String eventId, Instant start, ReadProgress progress) {
        String topic = reader.names().decisions();
        List<TopicPartition> partitions = reader.partitions(topic);
        if (partitions.isEmpty()) {
            return null;
        }
        // decisions are keyed by event id: only the partition the producer chose for that key can hold it
        TopicPartition partition = partitionFor(topic, partitions.size(), eventId);
        List<HistoryReader.Range> range = reader.ranges(List.of(partition), start, null);
        progress.start(range.get(0).size());
        long[] read = {0};
        @SuppressWarnings("unchecked")
        Found<Decision>[] found = new Found[1];
        reader.scanRanges(range, record -> {
            if (++read[0] % 10_000 == 0) {
                progress.update(read[0]);
            }
            if (eventId.equals(record.key()) && record.value() != null) {
                Decision decision = reader.read(reader.decisions(), record);
                if (decision != null) {
                    // the event's correlation steps share its id: fold them into its decision
                    Found<Decision> was = found[0];
                    if (was == null) {
                        found[0] = new Found<>(decision, record.timestamp(), topic);
                    } else if (CorrelationSteps.isStep(decision)) {
                        found[0] = new Found<>(CorrelationSteps.merge(was.value(), decision), was.time(), topic);
                    } else {
                        found[0] = new Found<>(
                                CorrelationSteps.merge(
                                        decision, CorrelationSteps.isStep(was.value()) ? was.value() : null),
                                record.timestamp(),
                                topic);
                    }
                }
            }
            return true;
        });
        progress.finish(read[0]);
        return found[0];
    }

    /** The partition the default partitioner picks for {@code key}: where a record keyed so is. */
    public static TopicPartition partitionFor(String topic, int partitions, String key) {
        return new TopicPartition(
                topic, Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions);
    }

    /** The event, from the events topic near the decision's record time (the two carry the same timestamp). */
    public static Event event(HistoryReader reader, Decision decision, long time, long back) {
        String topic = reader.names().events();
        List<TopicPartition> partitions = reader.partitions(topic);
        if (partitions.isEmpty()) {
            return null;
        }
        String key = decision.getSubject() != null ? decision.getSubject() : decision.getEventId();
        TopicPartition partition = partitionFor(topic, partitions.size(), key);
        List<HistoryReader.Range> range = reader.ranges(
                List.of(partition), Instant.ofEpochMilli(time - back), Instant.ofEpochMilli(time + EVENT_SEARCH_MS));
        Event[] found = new Event[1];
        reader.scanRanges(range, record -> {
            if (record.value() != null && key.equals(record.key())) {
                Event event = reader.read(reader.events(), record);
                if (event != null && event.getId().equals(decision.getEventId())) {
                    found[0] = event;
                    return false;
                }
            }
            return true;
        });
        return found[0];
    }

    /** The last result of each of the decision's actions, from the results topic from {@code time} on. */
    public static Map<String, ActionResult> results(HistoryReader reader, Decision decision, long time) {
        Map<String, ActionResult> results = new LinkedHashMap<>();
        if (decision.getActionIds().isEmpty()) {
            return results;
        }
        String topic = reader.names().actionResults();
        List<TopicPartition> partitions = reader.partitions(topic);
        if (partitions.isEmpty()) {
            return results;
        }
        Set<String> ids = Set.copyOf(decision.getActionIds());
        List<TopicPartition> wanted = ids.stream()
                .map(id -> partitionFor(topic, partitions.size(), id))
                .distinct()
                .toList();
        var deserializer = reader.serdes().value(ActionResult.class).deserializer();
        reader.scanRanges(reader.ranges(wanted, Instant.ofEpochMilli(time), null), record -> {
            if (record.value() != null && ids.contains(record.key())) {
                ActionResult result = reader.read(deserializer, record);
                if (result != null) {
                    results.put(record.key(), result);
                }
            }
            return true;
        });
        return results;
    }
}
