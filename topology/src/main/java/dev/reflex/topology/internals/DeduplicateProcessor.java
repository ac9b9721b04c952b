package dev.reflex.topology.internals;

import java.time.Duration;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.reflex.schemas.Event;

/**
 * Passes an event on unless an event with the same id passed within the retention (a redelivered webhook, a tick from
 * each timer replica): those are acted on once. Same id means same subject in practice, hence the same partition and
 * the same store. The store is a window store, which forgets by dropping whole segments older than the retention.
 * A retention of zero passes every event.
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

    @Override
    public void process(Record<String, Event> record) {
        Event event = record.value();
        if (event == null) {
            return;
        }
        if (!wiring.retention().isZero()) {
            long at = context.currentSystemTimeMs();
            // the long-time fetch: the Instant one formats an error message prefix on every call
            try (WindowStoreIterator<Long> earlier = seen.fetch(event.getId(), at - wiring.retention().toMillis(), at)) {
                if (earlier.hasNext()) {
                    LOG.debug("event {} seen before; dropped as a duplicate", event.getId());
                    return;
                }
            }
            seen.put(event.getId(), at, at);
        }
        wiring.firstSeen().forward(context, record);
    }
}
