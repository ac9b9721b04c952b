package dev.reflex.topology.timeline;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.BiFunction;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.reflex.schemas.DeadLetter;
import dev.reflex.schemas.DeadLetters;
import dev.reflex.topology.GlobalDeadLetters;
import dev.reflex.topology.internals.RecordDeadLetters;

/**
 * Reads one of the topics the timeline follows and forwards its timeline inputs, keyed by event id. A record it cannot
 * read is dead-lettered with the reason and the next one goes on; a registry outage fails the thread, which is
 * replaced and reads the record again.
 */
final class ReadProcessor<V> implements Processor<byte[], byte[], String, byte[]> {
    private static final Logger LOG = LoggerFactory.getLogger(ReadProcessor.class);

    private final Deserializer<V> values;
    private final BiFunction<Record<String, V>, V, List<KeyValue<String, TimelineInput>>> inputs;
    private final boolean tombstones;
    private final String stage;
    private final String reader;
    private final GlobalDeadLetters deadLetters;
    private ProcessorContext<String, byte[]> context;

    /**
     * @param tombstones whether a record without value means something ({@code inputs} gets null); otherwise it is
     *                   dead-lettered
     */
    ReadProcessor(
            Deserializer<V> values,
            BiFunction<Record<String, V>, V, List<KeyValue<String, TimelineInput>>> inputs,
            boolean tombstones,
            String stage,
            String reader,
            GlobalDeadLetters deadLetters) {
        this.values = values;
        this.inputs = inputs;
        this.tombstones = tombstones;
        this.stage = stage;
        this.reader = reader;
        this.deadLetters = deadLetters;
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.context = context;
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        List<KeyValue<String, TimelineInput>> made;
        try {
            String topic = context.recordMetadata().map(RecordMetadata::topic).orElse(stage);
            if (record.value() == null && !tombstones) {
                throw new IllegalArgumentException("a record without value");
            }
            V value = record.value() == null ? null : values.deserialize(topic, record.value());
            String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
            made = inputs.apply(new Record<>(key, value, record.timestamp(), record.headers()), value);
        } catch (RuntimeException e) {
            if (DeadLetters.isRetriable(e)) {
                throw e;
            }
            deadLetter(record, e);
            return;
        }
        for (KeyValue<String, TimelineInput> input : made) {
            context.forward(new Record<>(input.key, InputCodec.encode(input.value), record.timestamp()));
        }
    }

    private void deadLetter(Record<byte[], byte[]> record, RuntimeException e) {
        DeadLetter letter = RecordDeadLetters.of(context, record, stage, reader, DeadLetters.reason(e), e);
        LOG.warn(
                "dead-lettering unreadable record {}-{}@{} at {}: {}",
                letter.getTopic(),
                letter.getPartition(),
                letter.getOffset(),
                stage,
                letter.getReason());
        deadLetters.send(letter);
    }
}
