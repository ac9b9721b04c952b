package dev.reflex.audit.history;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;

import dev.reflex.schemas.FlowTransition;
import dev.reflex.schemas.TransitionKind;

/** Flow instances' histories, from the transitions on reflex.flows (keyed by flow id/key). */
public final class FlowHistory {
    /** An instance as its transitions tell it: its last run, whether it is finished, and its last transition. */
    public record Seen(String flowId, String key, int run, String status, FlowTransition last) {}

    private FlowHistory() {}

    /** Every instance with a transition since {@code from} (all retained when null), by flow id/key. */
    public static Map<String, Seen> instances(HistoryReader reader, Instant from) {
        Deserializer<FlowTransition> values =
                reader.serdes().value(FlowTransition.class).deserializer();
        String topic = reader.names().flows();
        Map<String, Seen> seen = new TreeMap<>();
        reader.scanRanges(reader.ranges(reader.partitions(topic), from, null), record -> {
            FlowTransition t = record.value() == null ? null : reader.read(values, record);
            if (t != null && t.getKind() != TransitionKind.IGNORED) {
                String stateKey = t.getFlowId() + "/" + t.getKey();
                Seen was = seen.get(stateKey);
                if (was == null || t.getRun() >= was.run()) {
                    seen.put(stateKey, new Seen(t.getFlowId(), t.getKey(), t.getRun(), status(t, was), t));
                }
            }
            return true;
        });
        return seen;
    }

    private static String status(FlowTransition t, Seen was) {
        return switch (t.getKind()) {
            case ENDED -> "ended";
            case FAILED -> "failed";
            case CANCELLED -> "cancelled";
            case QUEUED, GUARD -> was == null ? "running" : was.status();
            default -> "running";
        };
    }

    /** The transitions of one instance since {@code from}, in order: only the partition its key hashes to is read. */
    public static List<FlowTransition> of(HistoryReader reader, String flowId, String key, Instant from) {
        Deserializer<FlowTransition> values =
                reader.serdes().value(FlowTransition.class).deserializer();
        String topic = reader.names().flows();
        List<TopicPartition> partitions = reader.partitions(topic);
        List<FlowTransition> found = new ArrayList<>();
        if (partitions.isEmpty()) {
            return found;
        }
        String stateKey = flowId + "/" + key;
        TopicPartition partition = DecisionFinder.partitionFor(topic, partitions.size(), stateKey);
        reader.scanRanges(reader.ranges(List.of(partition), from, null), record -> {
            if (stateKey.equals(record.key()) && record.value() != null) {
                FlowTransition t = reader.read(values, record);
                if (t != null) {
                    found.add(t);
                }
            }
            return true;
        });
        return found;
    }
}
