package dev.reflex.actors;

import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

import dev.reflex.schemas.Action;
import dev.reflex.schemas.serde.ReflexSerdes;

/** The consumer every actor reads actions with: committed records only, offsets committed by the actor itself. */
final class ActionConsumers {
    private ActionConsumers() {
    }

    static KafkaConsumer<String, Action> create(String bootstrapServers, String groupId, ReflexSerdes serdes, int maxPollRecords) {
        return create(bootstrapServers, groupId, serdes, maxPollRecords, Map.of());
    }

    /** As above, with Kafka consumer settings (for example session.timeout.ms) on top; the ones above win. */
    static KafkaConsumer<String, Action> create(String bootstrapServers, String groupId, ReflexSerdes serdes, int maxPollRecords,
                                                Map<String, ?> overrides) {
        Map<String, Object> settings = new java.util.HashMap<>(overrides);
        settings.putAll(Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
            ConsumerConfig.GROUP_ID_CONFIG, groupId,
            ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
            ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxPollRecords,
            // a new system's topic is found within this time when subscribing by pattern
            ConsumerConfig.METADATA_MAX_AGE_CONFIG, 5000));
        return new KafkaConsumer<>(settings, new StringDeserializer(), serdes.value(Action.class).deserializer());
    }
}
