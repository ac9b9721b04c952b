package dev.reflex.topology.internals;

import java.time.Instant;

import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

import dev.reflex.schemas.DeadLetter;
import dev.reflex.schemas.DeadLetters;

/** The dead letter of the raw record a processor is processing, with its coordinates from the processor's context. */
public final class RecordDeadLetters {
    private RecordDeadLetters() {}

    public static DeadLetter of(
            ProcessorContext<?, ?> context,
            Record<byte[], byte[]> record,
            String stage,
            String reader,
            String reason,
            Throwable error) {
        RecordMetadata md = context.recordMetadata().orElse(null);
        return DeadLetters.of(
                md == null ? stage : md.topic(),
                md == null ? -1 : md.partition(),
                md == null ? -1 : md.offset(),
                record.timestamp(),
                record.key(),
                record.value(),
                record.headers(),
                stage,
                reader,
                reason,
                error,
                Instant.ofEpochMilli(context.currentSystemTimeMs()));
    }
}
