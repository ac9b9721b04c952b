package dev.reflex.topology.internals;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.reflex.schemas.DeadLetter;
import dev.reflex.schemas.DeadLetters;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.registry.SchemaRegistryClient;
import dev.reflex.schemas.serde.AvroSerde;

/**
 * Kafka Streams error handlers that write a Reflex {@link DeadLetter} (same format as normalization failures) to the
 * dead-letter topic and carry on, except for infrastructure faults, which fail the task so the record is retried.
 */
public final class DeadLetterHandlers {
    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterHandlers.class);

    private DeadLetterHandlers() {
    }

    private abstract static class Base {
        private String dlqTopic;
        private Serializer<DeadLetter> serializer;
        private String reader;

        public void configure(Map<String, ?> configs) {
            Object prefix = configs.get("reflex.topic.prefix");
            dlqTopic = new TopicNames(prefix == null ? TopicNames.DEFAULT_PREFIX : prefix.toString()).dlq();
            reader = "engine " + configs.get("reflex.instance.id");
            Object url = configs.get("schema.registry.url");
            Object autoRegister = configs.get("schema.registry.auto.register");
            serializer = new AvroSerde<>(new SchemaRegistryClient(String.valueOf(url)), DeadLetter.class, false,
                autoRegister == null || Boolean.parseBoolean(autoRegister.toString())).serializer();
        }

        List<ProducerRecord<byte[], byte[]>> deadLetter(ErrorHandlerContext context, String stage, Exception error) {
            String reason = DeadLetters.reason(error);
            LOG.warn("dead-lettering record {}-{}@{} at {}: {}", context.topic(), context.partition(), context.offset(), stage, reason);
            DeadLetter letter = DeadLetters.of(context.topic(), context.partition(), context.offset(), context.timestamp(),
                context.sourceRawKey(), context.sourceRawValue(), context.headers(), stage, reader, reason, error, Instant.now());
            byte[] value = serializer.serialize(dlqTopic, letter);
            byte[] key = context.topic() == null ? null : context.topic().getBytes(java.nio.charset.StandardCharsets.UTF_8);
            return List.of(new ProducerRecord<>(dlqTopic, null, key, value));
        }
    }

    /** Records on Reflex's own topics that cannot be read (not Avro, unknown schema id, truncated). */
    public static final class Deserialization extends Base implements DeserializationExceptionHandler {
        @Override
        public Response handleError(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception error) {
            if (DeadLetters.isRetriable(error)) {
                LOG.warn("retrying {}-{}@{} after an infrastructure fault: {}", context.topic(), context.partition(),
                    context.offset(), DeadLetters.reason(error));
                return Response.fail();
            }
            return Response.resume(deadLetter(context, "deserialize", error));
        }
    }

    /** A processor failed on a record in a way no processor anticipated. */
    public static final class Processing extends Base implements ProcessingExceptionHandler {
        @Override
        public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception error) {
            if (DeadLetters.isRetriable(error)) {
                LOG.warn("retrying {}-{}@{} after an infrastructure fault: {}", context.topic(), context.partition(),
                    context.offset(), DeadLetters.reason(error));
                return Response.fail();
            }
            LOG.error("processor {} failed on {}-{}@{}", context.processorNodeId(), context.topic(), context.partition(),
                context.offset(), error);
            return Response.resume(deadLetter(context, context.processorNodeId(), error));
        }
    }
}
