package dev.reflex.topology.internals;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.reflex.schemas.DeadLetters;
import dev.reflex.topology.GlobalDeadLetters;

/**
 * Feeds a compacted topic into a global store. It reads raw bytes and decodes them itself, so a record nobody can read
 * (not Avro, unknown schema, truncated) is dead-lettered and skipped, live and while the store is restored at start,
 * instead of stopping the global thread and with it the engine. A registry outage is not the record's fault: it is
 * thrown, and Kafka Streams retries.
 */
public abstract class GlobalLoader<V> implements Processor<byte[], byte[], Void, Void> {
    private static final Logger LOG = LoggerFactory.getLogger(GlobalLoader.class);

    private final Deserializer<V> values;
    private final String stage;
    private final String reader;
    private final GlobalDeadLetters deadLetters;
    private ProcessorContext<Void, Void> context;

    protected GlobalLoader(Deserializer<V> values, String stage, String reader, GlobalDeadLetters deadLetters) {
        this.values = values;
        this.stage = stage;
        this.reader = reader;
        this.deadLetters = deadLetters;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        this.context = context;
    }

    protected ProcessorContext<Void, Void> context() {
        return context;
    }

    @Override
    public final void process(Record<byte[], byte[]> record) {
        String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
        try {
            V value = record.value() == null ? null : values.deserialize(topic(), record.value());
            apply(key, value);
        } catch (RuntimeException e) {
            if (DeadLetters.isRetriable(e)) {
                throw e;
            }
            RecordMetadata md = context.recordMetadata().orElse(null);
            String topic = md == null ? topic() : md.topic();
            int partition = md == null ? -1 : md.partition();
            long offset = md == null ? -1 : md.offset();
            LOG.warn("dead-lettering unreadable record {}-{}@{} at {}: {}", topic, partition, offset, stage, DeadLetters.reason(e));
            deadLetters.send(DeadLetters.of(topic, partition, offset, record.timestamp(), record.key(), record.value(),
                record.headers(), stage, reader, DeadLetters.reason(e), e, Instant.now()));
        }
    }

    private String topic() {
        return context.recordMetadata().map(RecordMetadata::topic).orElse(stage);
    }

    /** Applies a readable record: {@code value} null is a tombstone. */
    protected abstract void apply(String key, V value);
}
