package dev.reflex.topology.internals;

import java.time.Duration;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.reflex.schemas.Event;

/**
 * Passes an event on unless an event with the same id passed within the retention (a redelivered webhook, a tick from
 * each timer replica): those are acted on once. Same id means same subject in practice, hence the same partition and
 * the same store. A retention of zero passes every event.
 *
 * <p>The store is a window store whose windows are buckets one retention wide: an id is put, with the time it was seen,
 * in the bucket of that time, so an earlier sighting within the retention is in the current bucket or the one before,
 * and a check is two point reads (which RocksDB's bloom filters answer without touching disk for a new id) instead of a
 * range scan over every segment the retention spans. The store keeps two buckets; it forgets by dropping whole segments.
 * A changed retention changes the buckets, so the ids seen before the change are forgotten.
 */
public final class DeduplicateProcessor implements Processor<String, Event, String, SpecificRecord> {
    private static final Logger LOG = LoggerFactory.getLogger(DeduplicateProcessor.class);
    /** The bucket width when detection is off, so that the store is still a valid window store. */
    private static final Duration WIDTH_WHEN_OFF = Duration.ofMinutes(1);

    /** The window store of seen ids, how long an id is remembered, and where first sightings go. */
    public record Wiring(String seenStore, Duration retention, Output<Event> firstSeen) {}

    private final Wiring wiring;
    private final long retentionMs;
    private ProcessorContext<String, SpecificRecord> context;
    private WindowStore<String, Long> seen;

    public DeduplicateProcessor(Wiring wiring) {
        this.wiring = wiring;
        this.retentionMs = wiring.retention().toMillis();
    }

    /**
     * The store {@code name} for a processor remembering ids for {@code retention}: two buckets of that width. The
     * store's retention is one bucket and a millisecond, measured from the newest bucket's start: the bucket before stays
     * readable, and its segments (half a bucket each) are the oldest kept, so ids stay on disk for one to two retentions.
     */
    public static StoreBuilder<WindowStore<String, Long>> store(String name, Duration retention) {
        Duration width = retention.isZero() ? WIDTH_WHEN_OFF : retention;
        return Stores.windowStoreBuilder(
                Stores.persistentWindowStore(name, width.plusMillis(1), width, false), Serdes.String(), Serdes.Long());
    }

    @Override
    public void init(ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
        this.seen = context.getStateStore(wiring.seenStore());
    }

    @Override
    public void process(Record<String, Event> record) {
        Event event = record.value();
        if (event == null) {
            return;
        }
        if (retentionMs > 0) {
            String id = event.getId();
            long at = context.currentSystemTimeMs();
            long bucket = at - Math.floorMod(at, retentionMs);
            if (seenSince(id, bucket, at) || seenSince(id, bucket - retentionMs, at)) {
                LOG.debug("event {} seen before; dropped as a duplicate", id);
                return;
            }
            seen.put(id, at, bucket);
        }
        wiring.firstSeen().forward(context, record);
    }

    /** Whether {@code id} is in the bucket starting at {@code bucket}, seen at most a retention before {@code at}. */
    private boolean seenSince(String id, long bucket, long at) {
        Long seenAt = seen.fetch(id, bucket);
        return seenAt != null && at - seenAt <= retentionMs;
    }
}
