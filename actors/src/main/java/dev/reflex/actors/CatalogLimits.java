package dev.reflex.actors;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

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
import dev.reflex.schemas.SystemDef;
import dev.reflex.schemas.SystemLimits;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.serde.ReflexSerdes;

/**
 * The limits the systems catalog ({@code reflex.systems}, compacted, keyed by system name) declares for one system:
 * read whole at start, then followed, so a changed entry applies without a restart. A record that is no system is
 * skipped with a log line (the engine dead-letters it); a removed entry (tombstone) means no limits.
 */
final class CatalogLimits implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CatalogLimits.class);

    private final String system;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Deserializer<SystemDef> reader;
    private final Consumer<SystemLimits> changed;
    private long nextPoll;

    CatalogLimits(
            KafkaConnection kafka,
            TopicNames names,
            ReflexSerdes serdes,
            String system,
            Consumer<SystemLimits> changed) {
        this.system = system;
        this.changed = changed;
        this.reader = serdes.value(SystemDef.class).deserializer();
        this.consumer = new KafkaConsumer<>(
                kafka.client(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false),
                new StringDeserializer(),
                new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        consumer.partitionsFor(names.systems(), Duration.ofSeconds(30))
                .forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
    }

    /** Reads the catalog up to its end (at start), while {@code running}. */
    void load(BooleanSupplier running) {
        var end = consumer.endOffsets(consumer.assignment(), Duration.ofSeconds(30));
        while (running.getAsBoolean()
                && consumer.assignment().stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
            apply(Duration.ofMillis(200));
        }
    }

    /** Takes in changes, at most once a second. */
    void follow(long now) {
        if (now >= nextPoll) {
            nextPoll = now + 1_000;
            apply(Duration.ZERO);
        }
    }

    private void apply(Duration wait) {
        ConsumerRecords<String, byte[]> polled = consumer.poll(wait);
        for (TopicPartition partition : polled.partitions()) {
            for (ConsumerRecord<String, byte[]> r : polled.records(partition)) {
                if (!system.equals(r.key())) {
                    continue;
                }
                if (r.value() == null) {
                    changed.accept(null);
                    continue;
                }
                try {
                    SystemDef def = reader.deserialize(r.topic(), r.value());
                    changed.accept(def.getLimits());
                    LOG.info("limits of {} from the catalog: {}", system, def.getLimits());
                } catch (SerializationException e) {
                    LOG.warn(
                            "skipping unreadable catalog record {}-{}@{}: {}",
                            r.topic(),
                            r.partition(),
                            r.offset(),
                            e.getMessage());
                } catch (RetriableException e) {
                    // the registry is unreachable: this partition is read again from here
                    LOG.warn("cannot read the catalog now ({}); it is read again", e.getMessage());
                    consumer.seek(partition, r.offset());
                    break;
                }
            }
        }
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
    }
}
