package dev.reflex.topology.internals;

import java.nio.charset.StandardCharsets;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.reflex.schemas.DeadLetter;
import dev.reflex.schemas.DeadLetters;
import dev.reflex.topology.GlobalDeadLetters;

/**
 * Feeds a compacted topic into a global store. It reads raw bytes and decodes them itself, so a record nobody can read
 * (not Avro, unknown schema, truncated) is dead-lettered and skipped, live and while the store is restored at start,
 * instead of stopping the global thread and with it the engine. A registry outage is not the record's fault: the
 * record is tried again every second for up to five minutes (the stream threads go on with the rules and registers
 * they have); after that the global thread fails, the engine reaches ERROR and exits to be restarted.
 */
public abstract class GlobalLoader<V> implements Processor<byte[], byte[], Void, Void> {
    private static final Logger LOG = LoggerFactory.getLogger(GlobalLoader.class);
    private static final long RETRY_MS = 5 * 60_000;

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
        long giveUp = 0;
        for (int attempt = 0; ; attempt++) {
            try {
                V value = record.value() == null ? null : values.deserialize(topic(), record.value());
                apply(key, value);
                return;
            } catch (RuntimeException e) {
                if (!DeadLetters.isRetriable(e)) {
                    deadLetter(record, e);
                    return;
                }
                if (giveUp == 0) {
                    giveUp = System.currentTimeMillis() + RETRY_MS;
                } else if (System.currentTimeMillis() > giveUp) {
                    throw e;
                }
                if (attempt % 30 == 0) {
                    LOG.warn("cannot load {} now ({}); retrying every second", stage, DeadLetters.reason(e));
                }
                try {
                    Thread.sleep(1_000);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
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

    private String topic() {
        return context.recordMetadata().map(RecordMetadata::topic).orElse(stage);
    }

    /** Applies a readable record: {@code value} null is a tombstone. */
    protected abstract void apply(String key, V value);
}
