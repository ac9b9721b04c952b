package dev.reflex.topology;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.reflex.schemas.DeadLetter;
import dev.reflex.schemas.DeadLetters;
import dev.reflex.schemas.Topics;

/**
 * Kafka Streams' processing exception handler for the Reflex topology: a processor that fails on a record in a way no
 * processor anticipated writes a Reflex {@link DeadLetter} (same format as normalization failures) and the next record
 * goes on, except for infrastructure faults, which fail the task so the record is retried. Records that cannot be
 * read never reach a deserialization handler: every source reads bytes and a decode node dead-letters them.
 *
 * <p>Kafka Streams creates the handler from its class; {@link #settings} gives the settings that configure it, the
 * handler's {@link Sink} passed as an object, so nothing is parsed back from strings.
 */
public final class ProcessingDeadLetters implements ProcessingExceptionHandler {
    private static final Logger LOG = LoggerFactory.getLogger(ProcessingDeadLetters.class);
    /** The setting that carries the handler's {@link Sink}. */
    static final String SINK_CONFIG = "reflex.internal.processing.dead.letters";

    /** Where the handler writes: the dead-letter topic, its serializer, and the reader named in each letter. */
    public record Sink(String topic, Serializer<DeadLetter> serializer, String reader) {}

    private Sink sink;

    /**
     * The Kafka Streams settings that install this handler, writing with {@code topics}' serdes as {@code reader} and
     * telling {@code listener} of each letter.
     */
    public static Map<String, Object> settings(Topics topics, String reader, ProcessingListener listener) {
        return Map.of(
                StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG,
                ProcessingDeadLetters.class,
                StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG,
                true,
                SINK_CONFIG,
                new Sink(
                        topics.dlq().name(),
                        listener.observing(topics.dlq().valueSerde().serializer()),
                        reader));
    }

    @Override
    public void configure(Map<String, ?> configs) {
        if (!(configs.get(SINK_CONFIG) instanceof Sink configured)) {
            throw new ConfigException(
                    SINK_CONFIG + " is not set; install the handler with ProcessingDeadLetters.settings");
        }
        this.sink = configured;
    }

    @Override
    public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception error) {
        if (DeadLetters.isRetriable(error)) {
            LOG.warn(
                    "retrying {}-{}@{} after an infrastructure fault: {}",
                    context.topic(),
                    context.partition(),
                    context.offset(),
                    DeadLetters.reason(error));
            return Response.fail();
        }
        LOG.error(
                "processor {} failed on {}-{}@{}",
                context.processorNodeId(),
                context.topic(),
                context.partition(),
                context.offset(),
                error);
        return Response.resume(deadLetter(context, context.processorNodeId(), error));
    }

    private List<ProducerRecord<byte[], byte[]>> deadLetter(
            ErrorHandlerContext context, String stage, Exception error) {
        String reason = DeadLetters.reason(error);
        LOG.warn(
                "dead-lettering record {}-{}@{} at {}: {}",
                context.topic(),
                context.partition(),
                context.offset(),
                stage,
                reason);
        DeadLetter letter = DeadLetters.of(
                context.topic(),
                context.partition(),
                context.offset(),
                context.timestamp(),
                context.sourceRawKey(),
                context.sourceRawValue(),
                context.headers(),
                stage,
                sink.reader(),
                reason,
                error,
                Instant.now());
        byte[] value = sink.serializer().serialize(sink.topic(), letter);
        byte[] key = context.topic() == null ? null : context.topic().getBytes(StandardCharsets.UTF_8);
        return List.of(new ProducerRecord<>(sink.topic(), null, key, value));
    }
}
