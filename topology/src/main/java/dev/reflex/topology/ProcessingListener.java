package dev.reflex.topology;

import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;

import org.apache.kafka.common.serialization.Serializer;

import dev.reflex.schemas.DeadLetter;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.Event;

/**
 * Told of what the topology does, as it does it: the engine counts these for {@code /metrics} and keeps recent
 * decisions for its API. Called on stream threads (and, for dead letters of the rules and registers topics, on the
 * global thread): implementations are thread-safe and quick. A call may repeat when a transaction is retried.
 */
public interface ProcessingListener {
    /** Listens to nothing. */
    ProcessingListener NONE = new ProcessingListener() {};

    /** An event was made from an ingest record or an action result. */
    default void normalized(Event event) {}

    /** An event was evaluated against the rules that could match it, in {@code micros}. */
    default void evaluated(Event event, long micros) {}

    /** A decision was recorded; {@code eventTime} is the time of the event it decides, null for a timer's decision. */
    default void decided(Decision decision, Instant eventTime) {}

    /** A record was written to the dead-letter topic. */
    default void deadLettered(DeadLetter letter) {}

    /** One tick of a keyed task fired {@code count} due timers (deadlines, flow waits and timeouts) at {@code now}. */
    default void timersFired(int count, long now) {}

    /** A listener told only of decisions. */
    static ProcessingListener decisions(Consumer<Decision> decided) {
        return new ProcessingListener() {
            @Override
            public void decided(Decision decision, Instant eventTime) {
                decided.accept(decision);
            }
        };
    }

    /** A listener telling each of {@code listeners}, in order. */
    static ProcessingListener all(ProcessingListener... listeners) {
        List<ProcessingListener> each = List.of(listeners);
        return new ProcessingListener() {
            @Override
            public void normalized(Event event) {
                each.forEach(l -> l.normalized(event));
            }

            @Override
            public void evaluated(Event event, long micros) {
                each.forEach(l -> l.evaluated(event, micros));
            }

            @Override
            public void decided(Decision decision, Instant eventTime) {
                each.forEach(l -> l.decided(decision, eventTime));
            }

            @Override
            public void deadLettered(DeadLetter letter) {
                each.forEach(l -> l.deadLettered(letter));
            }

            @Override
            public void timersFired(int count, long now) {
                each.forEach(l -> l.timersFired(count, now));
            }
        };
    }

    /** {@code serializer}, telling this listener of each dead letter it writes. */
    default Serializer<DeadLetter> observing(Serializer<DeadLetter> serializer) {
        return (topic, letter) -> {
            byte[] bytes = serializer.serialize(topic, letter);
            if (letter != null) {
                deadLettered(letter);
            }
            return bytes;
        };
    }
}
