package dev.reflex.engine;

import java.util.Optional;

import dev.reflex.rules.correlate.CorrelationSteps;
import dev.reflex.schemas.Decision;

/**
 * The last decisions this instance made, for the API. Bounded: the oldest is forgotten first. A decision of a
 * transaction that is later aborted may show here until it is made again; reflex.decisions is the record.
 *
 * <p>A ring of the last decisions in the order they were made: keeping one is a store into an array on the stream
 * thread, and finding an event's is a scan of the ring, which only an API request does. An event's story is its
 * decisions folded in order: a correlation or flow step (which shares its event's id) is merged into the decision, a
 * later decision replaces an earlier one.
 */
public final class RecentDecisions {
    private final Decision[] ring;
    /** How many decisions were ever kept; the next goes to {@code written % ring.length}. Guarded by this. */
    private long written;

    public RecentDecisions(int capacity) {
        this.ring = new Decision[capacity];
    }

    public void put(Decision decision) {
        if (ring.length > 0) {
            synchronized (this) {
                ring[(int) (written++ % ring.length)] = decision;
            }
        }
    }

    public synchronized Optional<Decision> get(String eventId) {
        Decision story = null;
        for (long i = Math.max(0, written - ring.length); i < written; i++) {
            Decision decision = ring[(int) (i % ring.length)];
            if (decision.getEventId().equals(eventId)) {
                story = story == null ? decision : fold(story, decision);
            }
        }
        return Optional.ofNullable(story);
    }

    private static Decision fold(Decision was, Decision next) {
        if (CorrelationSteps.isStep(next)) {
            return CorrelationSteps.merge(was, next);
        }
        return CorrelationSteps.isStep(was) ? CorrelationSteps.merge(next, was) : next;
    }

    public synchronized int size() {
        return (int) Math.min(written, ring.length);
    }
}
