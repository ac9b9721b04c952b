package dev.reflex.actors;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.reflex.schemas.KafkaConnection;

/**
 * One topic an actor reads besides its actions, from the start, committed records only, by a consumer that joins no
 * group: up to its end, then followed. A value that is none of {@code V} is skipped with a log line (the engine, which
 * reads these topics too, dead-letters it); while the registry is unreachable, its partition is read again from there,
 * so nothing is skipped for an outage. A tombstone comes as a null value. Used from one thread.
 */
final class TopicFollower<V> implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TopicFollower.class);

    private final String topic;
    private final Deserializer<V> values;
    private final KafkaConsumer<String, byte[]> consumer;
    private List<TopicPartition> partitions;

    TopicFollower(KafkaConnection kafka, String topic, Deserializer<V> values) {
        this.topic = topic;
        this.values = values;
        this.consumer = new KafkaConsumer<>(
                kafka.client(
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        "read_committed",
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false),
                new StringDeserializer(),
                new ByteArrayDeserializer());
    }

    /** Reads what was committed since the last read (all of it the first time) up to the end of now, while {@code running}. */
    void readToEnd(BooleanSupplier running, BiConsumer<String, V> each) {
        if (partitions == null) {
            partitions = new ArrayList<>();
            consumer.partitionsFor(topic, Duration.ofSeconds(30))
                    .forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
        }
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
        while (running.getAsBoolean() && partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
            read(Duration.ofMillis(200), each, true);
        }
    }

    /** Reads what has arrived, without waiting for more (nor for the registry: what it cannot read now comes again). */
    void poll(BiConsumer<String, V> each) {
        if (partitions != null) {
            read(Duration.ZERO, each, false);
        }
    }

    private void read(Duration wait, BiConsumer<String, V> each, boolean waitForRegistry) {
        ConsumerRecords<String, byte[]> polled = consumer.poll(wait);
        for (TopicPartition partition : polled.partitions()) {
            for (ConsumerRecord<String, byte[]> r : polled.records(partition)) {
                V value;
                try {
                    value = r.value() == null ? null : values.deserialize(r.topic(), r.value());
                } catch (SerializationException e) {
                    LOG.warn(
                            "skipping unreadable record {}-{}@{}: {}",
                            r.topic(),
                            r.partition(),
                            r.offset(),
                            e.getMessage());
                    continue;
                } catch (RetriableException e) {
                    LOG.warn("cannot read {} now ({}); it is read again", topic, e.getMessage());
                    consumer.seek(partition, r.offset());
                    if (waitForRegistry) {
                        pause();
                    }
                    break;
                }
                each.accept(r.key(), value);
            }
        }
    }

    private static void pause() {
        try {
            Thread.sleep(1_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
    }
}
