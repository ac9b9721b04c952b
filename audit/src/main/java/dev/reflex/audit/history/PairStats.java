package dev.reflex.audit.history;

/** What pairing events with decisions found. */
public final class PairStats {
    long events;
    long decisions;
    long paired;
    long withoutDecision;
    long duplicates;
    long unreadable;
    long decisionsWithoutEvent;
    long skippedBySource;
    long correlationSteps;

    /** Correlation steps read (decisions with detail CORRELATION): handed on alone, not paired with an event. */
    public long correlationSteps() {
        return correlationSteps;
    }

    /** Events read in range (of the source, when one was given). */
    public long events() {
        return events;
    }

    public long decisions() {
        return decisions;
    }

    /** Events handed on with their decision. */
    public long paired() {
        return paired;
    }

    /** Events handed on without a decision (none recorded, or it is out of range). */
    public long withoutDecision() {
        return withoutDecision;
    }

    /** Repeated event ids: duplicates the engine dropped. */
    public long duplicates() {
        return duplicates;
    }

    /** Records of reflex.events or reflex.decisions in range that could not be read (each logged once). */
    public long unreadable() {
        return unreadable;
    }

    public long decisionsWithoutEvent() {
        return decisionsWithoutEvent;
    }

    /** Events in range of another source than the one asked for. */
    public long skippedBySource() {
        return skippedBySource;
    }
}
