package dev.reflex.topology.internals;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;

import dev.reflex.topology.GlobalDeadLetters;

/** Keeps a global store equal to its compacted topic: a value is put, a tombstone deletes. */
public final class TableLoader<V> extends GlobalLoader<V> {
    private final String storeName;
    private KeyValueStore<String, V> store;

    public TableLoader(String storeName, Deserializer<V> values, String stage, String reader, GlobalDeadLetters deadLetters) {
        super(values, stage, reader, deadLetters);
        this.storeName = storeName;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        super.init(context);
        store = context.getStateStore(storeName);
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
    }
}
