package dev.reflex.topology.internals;

import java.util.List;

import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Where a processor sends one kind of record: the child nodes the topology wired for it. The topology builder names
 * nodes and wires them; a processor only knows its outputs by what they carry.
 */
public record Output<V>(List<String> children) {
    public Output {
        children = List.copyOf(children);
        if (children.isEmpty()) {
            throw new IllegalArgumentException("an output goes to at least one node");
        }
    }

    @SafeVarargs
    public static <V> Output<V> to(String... children) {
        return new Output<>(List.of(children));
    }

    /** Sends {@code record} to every node of this output. */
    public <K> void forward(ProcessorContext<K, ? super V> context, Record<K, ? extends V> record) {
        for (String child : children) {
            context.forward(record, child);
        }
    }
}
