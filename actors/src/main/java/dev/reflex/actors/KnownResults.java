package dev.reflex.actors;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.reflex.schemas.ActionResult;
import dev.reflex.schemas.ActionStatus;
import dev.reflex.schemas.KafkaConnection;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.serde.ReflexSerdes;

/**
 * The ids of one system's actions that have a result on {@code reflex.action-results}, so an action read again (after
 * a kill, a move of its partition, a replay) is skipped rather than done twice. {@link #catchUp} reads the committed
 * results written since the last call (all of them the first time): at start, and whenever partitions are assigned,
 * since their last owner may have reported actions beyond its committed offset. Results this process did not add
 * itself go to {@code others} (the circuit breakers learn from them). Remembers the last million ids.
 */
final class KnownResults implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KnownResults.class);
    private static final int REMEMBERED = 1_000_000;

    private final String system;
    private final TopicNames names;
    private final Deserializer<ActionResult> reader;
    private final KafkaConsumer<String, byte[]> consumer;
    private final BooleanSupplier running;
    private final Consumer<ActionResult> others;
    private final Set<String> known = Collections.newSetFromMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > REMEMBERED;
        }
    });
    private List<TopicPartition> partitions;

    KnownResults(
            KafkaConnection kafka,
            TopicNames names,
            ReflexSerdes serdes,
            String system,
            BooleanSupplier running,
            Consumer<ActionResult> others) {
        this.system = system;
        this.names = names;
        this.running = running;
        this.others = others;
        this.reader = serdes.value(ActionResult.class).deserializer();
        this.consumer = new KafkaConsumer<>(
                kafka.client(
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        "read_committed",
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false),
                new StringDeserializer(),
                new ByteArrayDeserializer());
    }

    boolean contains(String actionId) {
        return known.contains(actionId);
    }

    /** An action this process reported (in a committed transaction). */
    void add(String actionId) {
        known.add(actionId);
    }

    int size() {
        return known.size();
    }

    /** Reads the results committed since the last call, up to the last stable offsets of now. */
    void catchUp() {
        if (partitions == null) {
            partitions = new ArrayList<>();
            consumer.partitionsFor(names.actionResults(), Duration.ofSeconds(30))
                    .forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
        }
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
        while (running.getAsBoolean() && partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
            for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                ActionResult result = readResult(r);
                if (result != null
                        && result.getSystem().equals(system)
                        && result.getStatus() != ActionStatus.SKIPPED
                        && known.add(result.getActionId())) {
                    others.accept(result);
                }
            }
        }
    }

    /**
     * A result, or null for a record that is none: the engine, which reads every result, dead-letters it; here it is
     * only logged. While the registry is unreachable this waits, so no completed action is forgotten.
     */
    private ActionResult readResult(ConsumerRecord<String, byte[]> r) {
        while (true) {
            try {
                return reader.deserialize(r.topic(), r.value());
            } catch (SerializationException e) {
                LOG.warn(
                        "skipping unreadable result record {}-{}@{}: {}",
                        r.topic(),
                        r.partition(),
                        r.offset(),
                        e.getMessage());
                return null;
            } catch (RetriableException e) {
                if (!running.getAsBoolean()) {
                    throw e;
                }
                LOG.warn("cannot read results now ({}); retrying in 1 s", e.getMessage());
                try {
                    Thread.sleep(1_000);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
    }
}
