package dev.reflex.topology.internals;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;

import dev.reflex.topology.GlobalDeadLetters;

/**
 * Keeps a global store equal to its compacted topic: a value is put, a tombstone deletes. Whoever keeps values read
 * from the store is told of each change ({@link Changes}).
 */
public final class TableLoader<V> extends GlobalLoader<V> {
    /** Told after the loader changed a key of the store, and when it starts (the store may then hold anything). */
    public interface Changes {
        void changed(String key);

        void clear();
    }

    private final String storeName;
    private final Changes changes;
    private KeyValueStore<String, V> store;

    public TableLoader(
            String storeName,
            Deserializer<V> values,
            String stage,
            String reader,
            GlobalDeadLetters deadLetters,
            Changes changes) {
        super(values, stage, reader, deadLetters);
        this.storeName = storeName;
        this.changes = changes;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        super.init(context);
        store = context.getStateStore(storeName);
        changes.clear();
    }

    @Override
    protected void apply(String key, V value) {
        if (key == null) {
            throw new IllegalArgumentException("a record without key on a compacted topic: the key must be the name");
        }
        if (value == null) {
            store.delete(key);
        } else {
            store.put(key, value);
        }
        changes.changed(key);
    }
}
