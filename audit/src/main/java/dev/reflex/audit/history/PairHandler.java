package dev.reflex.audit.history;

import dev.reflex.schemas.Decision;
import dev.reflex.schemas.Event;

/** Receives each recorded event in range with its decision (null when none was recorded). */
public interface PairHandler {
    void accept(Event event, long eventTime, Decision decision);

    /**
     * A correlation step's decision (detail CORRELATION), which records the state it saw and so needs no event; an
     * event's own decision says it was handed to correlation.
     */
    default void correlation(Decision decision, long time) {}
}
