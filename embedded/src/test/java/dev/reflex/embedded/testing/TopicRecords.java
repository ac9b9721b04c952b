package dev.reflex.embedded.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads what tests assert on: committed records only (read_committed, as actors and replays read), polled until a
 * condition holds for what was read or a time limit passes, so a test waits no longer than it must.
 */
public final class TopicRecords {
    private TopicRecords() {}

    /** Records of every partition of {@code topic} from the beginning, until {@code done} holds or {@code limit} passes. */
    public static <K, V> List<ConsumerRecord<K, V>> readUntil(
            String bootstrap,
            String topic,
            Deserializer<K> keys,
            Deserializer<V> values,
            Predicate<List<ConsumerRecord<K, V>>> done,
            Duration limit) {
        try (KafkaConsumer<K, V> consumer = new KafkaConsumer<>(
                Map.of(
                        "bootstrap.servers",
                        bootstrap,
                        "group.id",
                        "test-reader-" + UUID.randomUUID(),
                        "isolation.level",
                        "read_committed",
                        "auto.offset.reset",
                        "earliest"),
                keys,
                values)) {
            consumer.subscribe(List.of(topic));
            return poll(consumer, done, limit);
        }
    }

    /** Records of one partition from {@code offset} on, until {@code done} holds or {@code limit} passes. */
    public static <K, V> List<ConsumerRecord<K, V>> readFrom(
            String bootstrap,
            TopicPartition partition,
            long offset,
            Deserializer<K> keys,
            Deserializer<V> values,
            Predicate<List<ConsumerRecord<K, V>>> done,
            Duration limit) {
        try (KafkaConsumer<K, V> consumer = new KafkaConsumer<>(
                Map.of("bootstrap.servers", bootstrap, "isolation.level", "read_committed"), keys, values)) {
            consumer.assign(List.of(partition));
            consumer.seek(partition, offset);
            return poll(consumer, done, limit);
        }
    }

    /** A condition that holds once at least {@code count} records were read. */
    public static <T> Predicate<List<T>> atLeast(int count) {
        return read -> read.size() >= count;
    }

    private static <K, V> List<ConsumerRecord<K, V>> poll(
            KafkaConsumer<K, V> consumer, Predicate<List<ConsumerRecord<K, V>>> done, Duration limit) {
        List<ConsumerRecord<K, V>> read = new ArrayList<>();
        long deadline = System.nanoTime() + limit.toNanos();
        while (!done.test(read) && System.nanoTime() < deadline) {
            consumer.poll(Duration.ofMillis(200)).forEach(read::add);
        }
        return read;
    }
}
