package dev.reflex.actors;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import dev.reflex.schemas.KafkaConnection;

/**
 * The consumer every actor reads actions with: committed records only, offsets committed by the actor itself. Values
 * come as bytes and are read by {@link ActionDecoder}, so a record that is no action cannot fail a poll.
 */
public final class ActionConsumers {
    private ActionConsumers() {}

    public static KafkaConsumer<String, byte[]> create(KafkaConnection kafka, String groupId, int maxPollRecords) {
        return create(kafka, groupId, maxPollRecords, Map.of());
    }

    /** As above, with Kafka consumer settings (for example session.timeout.ms) on top; the ones above win. */
    public static KafkaConsumer<String, byte[]> create(
            KafkaConnection kafka, String groupId, int maxPollRecords, Map<String, ?> overrides) {
        Map<String, Object> settings = kafka.client(overrides);
        settings.putAll(Map.of(
                ConsumerConfig.GROUP_ID_CONFIG,
                groupId,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                false,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
                maxPollRecords,
                // a new system's topic is found within this time when subscribing by pattern
                ConsumerConfig.METADATA_MAX_AGE_CONFIG,
                5000));
        return new KafkaConsumer<>(settings, new StringDeserializer(), new ByteArrayDeserializer());
    }

    /** Positions each partition at the first of {@code unhandled}, so those records are read again by the next poll. */
    public static void rewind(Consumer<?, ?> consumer, List<? extends ConsumerRecord<?, ?>> unhandled) {
        Map<TopicPartition, Long> first = new LinkedHashMap<>();
        unhandled.forEach(r -> first.putIfAbsent(new TopicPartition(r.topic(), r.partition()), r.offset()));
        first.forEach(consumer::seek);
    }
}
