package dev.reflex.actors;

import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.reflex.schemas.KafkaConnection;
import dev.reflex.schemas.SystemDef;
import dev.reflex.schemas.SystemLimits;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.serde.ReflexSerdes;

/**
 * The limits the systems catalog ({@code reflex.systems}, compacted, keyed by system name) declares for one system:
 * read whole at start, then followed, so a changed entry applies without a restart. A removed entry (tombstone) means
 * no limits.
 */
final class CatalogLimits implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CatalogLimits.class);

    private final String system;
    private final TopicFollower<SystemDef> catalog;
    private final Consumer<SystemLimits> changed;
    private long nextPoll;

    CatalogLimits(
            KafkaConnection kafka,
            TopicNames names,
            ReflexSerdes serdes,
            String system,
            Consumer<SystemLimits> changed) {
        this.system = system;
        this.changed = changed;
        this.catalog = new TopicFollower<>(
                kafka, names.systems(), serdes.value(SystemDef.class).deserializer());
    }

    /** Reads the catalog up to its end (at start), while {@code running}. */
    void load(BooleanSupplier running) {
        catalog.readToEnd(running, this::apply);
    }

    /** Takes in changes, at most once a second. */
    void follow(long now) {
        if (now >= nextPoll) {
            nextPoll = now + 1_000;
            catalog.poll(this::apply);
        }
    }

    private void apply(String name, SystemDef def) {
        if (!system.equals(name)) {
            return;
        }
        SystemLimits limits = def == null ? null : def.getLimits();
        changed.accept(limits);
        LOG.info("limits of {} from the catalog: {}", system, limits);
    }

    @Override
    public void close() {
        catalog.close();
    }
}
