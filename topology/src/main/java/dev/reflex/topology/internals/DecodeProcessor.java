package dev.reflex.topology.internals;

import java.nio.charset.StandardCharsets;
import java.util.function.Predicate;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.reflex.schemas.DeadLetter;
import dev.reflex.schemas.DeadLetters;

/**
 * Reads the value of a record of one of Reflex's own Avro topics. A record that cannot be read is forwarded to the
 * dead-letter sink and the next record goes on. Decoding here, not in the source's deserializer, makes the bad record a
 * processed one: its offset is committed with its dead letter, so a restart does not read it (and dead-letter it)
 * again, which Kafka Streams' deserialization handler does not guarantee for a partition with nothing after it.
 * A registry outage is thrown, to be retried.
 */
public final class DecodeProcessor<V extends SpecificRecord>
        implements Processor<byte[], byte[], String, SpecificRecord> {
    private static final Logger LOG = LoggerFactory.getLogger(DecodeProcessor.class);

    private final Deserializer<V> values;
    private final Outputs<V> outputs;
    private final String reader;
    private final Predicate<Headers> passOver;
    private ProcessorContext<String, SpecificRecord> context;

    /** Where decoded values go, and where the dead letters of records that cannot be read go. */
    public record Outputs<V>(Output<V> decoded, Output<DeadLetter> deadLetters) {}

    /** {@code reader} is named in the dead letters it writes. */
    public DecodeProcessor(Deserializer<V> values, String reader, Outputs<V> outputs) {
        this(values, reader, outputs, headers -> false);
    }

    /** As above, passing over (neither decoding nor forwarding) the records whose headers satisfy {@code passOver}. */
    public DecodeProcessor(Deserializer<V> values, String reader, Outputs<V> outputs, Predicate<Headers> passOver) {
        this.values = values;
        this.outputs = outputs;
        this.reader = reader;
        this.passOver = passOver;
    }

    @Override
    public void init(ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        if (passOver.test(record.headers())) {
            return;
        }
        RecordMetadata md = context.recordMetadata().orElseThrow();
        String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
        V value;
        try {
            value = values.deserialize(md.topic(), record.value());
            if (value == null) {
                throw new SerializationException("the record has no value; every record of " + md.topic() + " has one");
            }
        } catch (SerializationException e) {
            String reason = DeadLetters.reason(e);
            LOG.warn("dead-lettering unreadable record {}-{}@{}: {}", md.topic(), md.partition(), md.offset(), reason);
            DeadLetter letter = RecordDeadLetters.of(context, record, "deserialize", reader, reason, e);
            outputs.deadLetters().forward(context, new Record<>(md.topic(), letter, record.timestamp()));
            return;
        }
        outputs.decoded().forward(context, new Record<>(key, value, record.timestamp(), record.headers()));
    }
}
