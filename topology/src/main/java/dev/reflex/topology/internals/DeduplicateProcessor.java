package dev.reflex.topology.internals;

import java.time.Duration;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.WindowStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.reflex.schemas.Event;

/**
 * Passes an event on unless an event with the same id passed within the retention (a redelivered webhook, a tick from
 * each timer replica): those are acted on once. Same id means same subject in practice, hence the same partition and
 * the same store. The store is a window store, which forgets by dropping whole segments older than the retention.
 * A retention of zero passes every event.
 *
 * <p>An id is stored at the start of its time bucket (half the retention), not at the time it was seen, so looking it up
 * is three point reads (this bucket and the two before) rather than an iterator over the store's segments: an id is
 * remembered for at least the retention and at most one and a half times it. See {@link #storeRetention}.
 */
public final class DeduplicateProcessor implements Processor<String, Event, String, SpecificRecord> {
    private static final Logger LOG = LoggerFactory.getLogger(DeduplicateProcessor.class);

    /** The window store of seen ids, how long an id is remembered, and where first sightings go. */
    public record Wiring(String seenStore, Duration retention, Output<Event> firstSeen) {
    }

    private final Wiring wiring;
    private ProcessorContext<String, SpecificRecord> context;
    private WindowStore<String, Long> seen;

    public DeduplicateProcessor(Wiring wiring) {
        this.wiring = wiring;
    }

    @Override
    public void init(ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
        this.seen = context.getStateStore(wiring.seenStore());
    }

    /** The width of a time bucket: half the retention (at least a millisecond). */
    static long bucket(Duration retention) {
        return Math.max(1, retention.toMillis() / 2);
    }

    /**
     * How long the store must keep what it holds: the two buckets before the current one, and the current one. At least a
     * minute, so the store is valid when detection is off (retention 0).
     */
    public static Duration storeRetention(Duration retention) {
        Duration kept = Duration.ofMillis(3 * bucket(retention));
        return kept.compareTo(Duration.ofMinutes(1)) < 0 ? Duration.ofMinutes(1) : kept;
    }

    @Override
    public void process(Record<String, Event> record) {
        Event event = record.value();
        if (event == null) {
            return;
        }
        if (!wiring.retention().isZero()) {
            long at = context.currentSystemTimeMs();
            long bucket = bucket(wiring.retention());
            long start = at - Math.floorMod(at, bucket);
            for (int back = 0; back <= 2; back++) {
                if (seen.fetch(event.getId(), start - back * bucket) != null) {
                    LOG.debug("event {} seen before; dropped as a duplicate", event.getId());
                    return;
                }
            }
            seen.put(event.getId(), at, start);
        }
        wiring.firstSeen().forward(context, record);
    }
}
