package dev.reflex.topology.timeline;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.reflex.schemas.SystemDef;
import dev.reflex.topology.GlobalDeadLetters;
import dev.reflex.topology.internals.GlobalLoader;

/** Feeds {@code reflex.systems} into the timeline's global store and its {@link SystemBook}; unreadable records are dead-lettered. */
final class SystemsLoader extends GlobalLoader<SystemDef> {
    private static final Logger LOG = LoggerFactory.getLogger(SystemsLoader.class);

    private final SystemBook book;
    private KeyValueStore<String, SystemDef> store;

    SystemsLoader(SystemBook book, Deserializer<SystemDef> values, String reader, GlobalDeadLetters deadLetters) {
        super(values, "timeline-load-systems", reader, deadLetters);
        this.book = book;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        super.init(context);
        store = context.getStateStore(TimelineTopology.SYSTEMS_STORE);
    }

    @Override
    protected void apply(String name, SystemDef system) {
        if (name == null) {
            throw new IllegalArgumentException(
                    "a record without key on the systems topic: the key must be the system's name");
        }
        if (system == null) {
            store.delete(name);
            book.remove(name);
            LOG.info("system {} removed from the timeline's catalog", name);
            return;
        }
        if (!name.equals(system.getName())) {
            throw new IllegalArgumentException(
                    "the record key '" + name + "' differs from the system's name '" + system.getName() + "'");
        }
        store.put(name, system);
        book.put(system);
        LOG.info("system {} version {} loaded", name, system.getVersion());
    }
}
