package dev.reflex.audit.history;

import java.util.Iterator;
import java.util.LinkedHashMap;

import dev.reflex.rules.correlate.CorrelationSteps;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.Event;

/**
 * Events paired with their decisions as both topics are read, with no I/O: each event is handed on with its decision
 * once both have been seen, or without one once the decisions read are past it by the join window; a decision whose
 * event can no longer come is counted and dropped. Only what is still waiting for its other half is held.
 */
public final class EventDecisionJoin {
    /** Events and decisions are matched up within this much record time of each other (they carry the same timestamp). */
    public static final long WINDOW_MS = 30_000;

    private record Pending<T>(T value, long time) {}

    private final String source;
    private final PairHandler handler;
    private final PairStats stats;
    private final LinkedHashMap<String, Pending<Event>> waitingEvents = new LinkedHashMap<>();
    private final LinkedHashMap<String, Pending<Decision>> waitingDecisions = new LinkedHashMap<>();

    /** Pairs the events of {@code source} (null: every source), counting into {@code stats}. */
    public EventDecisionJoin(String source, PairHandler handler, PairStats stats) {
        this.source = source;
        this.handler = handler;
        this.stats = stats;
    }

    public void event(Event event, long time) {
        if (source != null && !source.equals(event.getSource())) {
            stats.skippedBySource++;
            return;
        }
        stats.events++;
        Pending<Decision> decision = waitingDecisions.remove(event.getId());
        if (decision != null) {
            stats.paired++;
            handler.accept(event, time, decision.value());
        } else if (waitingEvents.containsKey(event.getId())) {
            stats.duplicates++;
        } else {
            waitingEvents.put(event.getId(), new Pending<>(event, time));
        }
    }

    public void decision(Decision decision, long time) {
        if (CorrelationSteps.isStep(decision)) {
            stats.correlationSteps++;
            handler.correlation(decision, time);
            return;
        }
        if (source != null && !source.equals(decision.getEventSource())) {
            return;
        }
        stats.decisions++;
        Pending<Event> event = waitingEvents.remove(decision.getEventId());
        if (event != null) {
            stats.paired++;
            handler.accept(event.value(), event.time(), decision);
        } else {
            waitingDecisions.put(decision.getEventId(), new Pending<>(decision, time));
        }
    }

    /** A record in range that could not be read. */
    public void unreadable() {
        stats.unreadable++;
    }

    /**
     * Both topics have been read up to these record times ({@link Long#MAX_VALUE}: all of it, {@link Long#MIN_VALUE}:
     * nothing yet): hands on the events whose decision can no longer come, drops the decisions whose event cannot.
     */
    public void readUpTo(long eventsAt, long decisionsAt) {
        long eventsDone = horizon(decisionsAt);
        long decisionsDone = horizon(eventsAt);
        for (Iterator<Pending<Event>> it = waitingEvents.values().iterator(); it.hasNext(); ) {
            Pending<Event> event = it.next();
            if (event.time() >= eventsDone) {
                break;
            }
            it.remove();
            stats.withoutDecision++;
            handler.accept(event.value(), event.time(), null);
        }
        for (Iterator<Pending<Decision>> it = waitingDecisions.values().iterator(); it.hasNext(); ) {
            Pending<Decision> decision = it.next();
            if (decision.time() >= decisionsDone) {
                break;
            }
            it.remove();
            stats.decisionsWithoutEvent++;
        }
    }

    /** Everything is read: the events still waiting go on without a decision. */
    public PairStats finish() {
        readUpTo(Long.MAX_VALUE, Long.MAX_VALUE);
        return stats;
    }

    private static long horizon(long otherAt) {
        return otherAt == Long.MAX_VALUE || otherAt == Long.MIN_VALUE ? otherAt : otherAt - WINDOW_MS;
    }
}
