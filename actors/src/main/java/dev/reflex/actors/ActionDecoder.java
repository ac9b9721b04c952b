package dev.reflex.actors;

import java.nio.charset.StandardCharsets;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.reflex.schemas.Action;
import dev.reflex.schemas.DeadLetter;
import dev.reflex.schemas.DeadLetters;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.serde.ReflexSerdes;

/**
 * Reads actions from raw records. A record that is no action (garbage, an unknown schema) becomes a dead letter for
 * {@code reflex.dlq}, logged once, so the actor moves past it; a registry outage is thrown, to be retried.
 */
public final class ActionDecoder {
    private static final Logger LOG = LoggerFactory.getLogger(ActionDecoder.class);

    /** Either the action or, for an unreadable record, the dead letter to send instead. */
    public record Decoded(Action action, ProducerRecord<String, byte[]> deadLetter) {}

    private final TopicNames names;
    private final Deserializer<Action> actions;
    private final Serializer<DeadLetter> deadLetters;
    private final String reader;

    public ActionDecoder(TopicNames names, ReflexSerdes serdes, String reader) {
        this.names = names;
        this.actions = serdes.value(Action.class).deserializer();
        this.deadLetters = serdes.value(DeadLetter.class).serializer();
        this.reader = reader;
    }

    public Decoded decode(ConsumerRecord<String, byte[]> record) {
        try {
            Action action = actions.deserialize(record.topic(), record.value());
            if (action == null) {
                throw new SerializationException("the record has no value; an action record always has one");
            }
            return new Decoded(action, null);
        } catch (SerializationException e) {
            LOG.warn(
                    "dead-lettering unreadable action record {}-{}@{}: {}",
                    record.topic(),
                    record.partition(),
                    record.offset(),
                    DeadLetters.reason(e));
            byte[] key = record.key() == null ? null : record.key().getBytes(StandardCharsets.UTF_8);
            DeadLetter letter = DeadLetters.of(record, key, "act", reader, e);
            return new Decoded(null, DeadLetters.toRecord(names, deadLetters, letter));
        }
    }
}
