package dev.reflex.engine;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import dev.reflex.rules.CorrelationSteps;
import dev.reflex.schemas.Decision;

/**
 * The last decisions this instance made, by event id, for the API. Bounded: the oldest is forgotten first. A decision
 * of a transaction that is later aborted may show here until it is made again; reflex.decisions is the record.
 */
public final class RecentDecisions {
    private final int capacity;
    private final LinkedHashMap<String, Decision> byEventId;

    public RecentDecisions(int capacity) {
        this.capacity = capacity;
        this.byEventId = new LinkedHashMap<>(Math.min(capacity, 1024) * 2, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Decision> eldest) {
                return size() > RecentDecisions.this.capacity;
            }
        };
    }

    public void put(Decision decision) {
        if (capacity > 0) {
            synchronized (this) {
                // a correlation step shares its event's id: the event's story is both
                byEventId.merge(decision.getEventId(), decision, (was, step) -> CorrelationSteps.isStep(step)
                    ? CorrelationSteps.merge(was, step) : CorrelationSteps.isStep(was) ? CorrelationSteps.merge(step, was) : step);
            }
        }
    }

    public synchronized Optional<Decision> get(String eventId) {
        return Optional.ofNullable(byEventId.get(eventId));
    }

    public synchronized int size() {
        return byEventId.size();
    }
}
