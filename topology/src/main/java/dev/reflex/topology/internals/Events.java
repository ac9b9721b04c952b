package dev.reflex.topology.internals;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

import dev.reflex.schemas.Event;
import dev.reflex.topology.Partitioning;

/** Where a new event goes: always to reflex.events; also to evaluation in this sub-topology when it is evaluated here. */
final class Events {
    private Events() {}

    /**
     * Sends {@code event} to {@code events}; when {@code here} and this sub-topology evaluates ({@code evaluate} not
     * null), marks it as evaluated (so the reader of reflex.events passes over it) and sends it to {@code evaluate} too.
     */
    static void forward(
            ProcessorContext<String, SpecificRecord> context,
            Output<Event> events,
            Output<Event> evaluate,
            boolean here,
            Record<String, Event> event) {
        if (here && evaluate != null) {
            Partitioning.markEvaluated(event.headers());
            events.forward(context, event);
            evaluate.forward(context, event);
        } else {
            events.forward(context, event);
        }
    }
}
