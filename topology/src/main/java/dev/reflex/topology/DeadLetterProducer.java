package dev.reflex.topology;

import java.time.Duration;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.reflex.schemas.DeadLetter;
import dev.reflex.schemas.DeadLetters;
import dev.reflex.schemas.KafkaConnection;
import dev.reflex.schemas.TopicNames;

/**
 * Sends the global stores' dead letters with a producer of its own (idempotent, acks=all). Not transactional: the
 * global stores are not either, and a record they skip is skipped on every instance and at every restore, so each
 * instance reports it each time it loads the topic.
 */
public final class DeadLetterProducer implements GlobalDeadLetters, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterProducer.class);

    private final KafkaProducer<String, byte[]> producer;
    private final TopicNames names;
    private final Serializer<DeadLetter> serializer;

    public DeadLetterProducer(KafkaConnection kafka, TopicNames names, Serializer<DeadLetter> serializer) {
        this.names = names;
        this.serializer = serializer;
        this.producer = new KafkaProducer<>(
                kafka.client(
                        ProducerConfig.ACKS_CONFIG,
                        "all",
                        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                        true,
                        ProducerConfig.CLIENT_ID_CONFIG,
                        "reflex-dead-letters-" + names.prefix()),
                new StringSerializer(),
                new ByteArraySerializer());
    }

    @Override
    public void send(DeadLetter letter) {
        String where = letter.getTopic() + "-" + letter.getPartition() + "@" + letter.getOffset();
        try {
            producer.send(DeadLetters.toRecord(names, serializer, letter), (metadata, error) -> {
                if (error != null) {
                    LOG.error("could not write the dead letter of {} to {}: {}", where, names.dlq(), error.toString());
                }
            });
        } catch (RuntimeException e) {
            LOG.error("could not write the dead letter of {} to {}: {}", where, names.dlq(), e.toString());
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
    }
}
