package dev.reflex.bench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The fault runs' own producer: every send is checked, and {@link #flush()} sends again, on a new producer, what the
 * broker refused (up to five rounds), so a run that judges Reflex by what it did with its input never counts the
 * harness's own losses. Under load on this 2-core machine the broker has refused an idempotent producer's batches with
 * OutOfOrderSequenceException (sequence 0 where it expected hundreds, after a retry), and those records were never
 * written: a deadline run stalled on it. A record sent again may be written twice; the runs' events carry ids, and
 * Reflex deduplicates them.
 */
final class CheckedProducer<K, V> implements AutoCloseable {
    private static final int ROUNDS = 5;
    private final Map<String, Object> config;
    private final Serializer<K> keys;
    private final Serializer<V> values;
    private final List<ProducerRecord<K, V>> pending = new ArrayList<>();
    private final List<Future<RecordMetadata>> acks = new ArrayList<>();
    private KafkaProducer<K, V> producer;

    CheckedProducer(String bootstrap, Map<String, Object> settings, Serializer<K> keys, Serializer<V> values) {
        this.config = new HashMap<>(settings);
        this.config.put("bootstrap.servers", bootstrap);
        this.config.put("acks", "all");
        this.keys = keys;
        this.values = values;
        this.producer = new KafkaProducer<>(config, keys, values);
    }

    /** Raw bytes, {@code linger.ms} 5. */
    static CheckedProducer<byte[], byte[]> bytes(String bootstrap) {
        return new CheckedProducer<>(
                bootstrap, Map.of("linger.ms", 5), new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Sends every record and returns once each is on its topic. */
    static void sendAll(String bootstrap, List<ProducerRecord<byte[], byte[]>> records) {
        try (CheckedProducer<byte[], byte[]> producer = bytes(bootstrap)) {
            records.forEach(producer::send);
        }
    }

    void send(ProducerRecord<K, V> record) {
        pending.add(record);
        acks.add(producer.send(record));
    }

    /** Returns once every record sent so far is written; throws when some could not be in five rounds. */
    void flush() {
        for (int round = 1; !pending.isEmpty(); round++) {
            producer.flush();
            List<ProducerRecord<K, V>> failed = new ArrayList<>();
            for (int i = 0; i < acks.size(); i++) {
                try {
                    acks.get(i).get();
                } catch (ExecutionException e) {
                    failed.add(pending.get(i));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while sending", e);
                }
            }
            pending.clear();
            acks.clear();
            if (failed.isEmpty()) {
                return;
            }
            if (round == ROUNDS) {
                throw new IllegalStateException(
                        failed.size() + " records could not be written in " + ROUNDS + " rounds");
            }
            System.err.printf(
                    "  %d records not written (round %d); sending them again on a new producer%n",
                    failed.size(), round);
            producer.close();
            producer = new KafkaProducer<>(config, keys, values);
            failed.forEach(this::send);
        }
    }

    @Override
    public void close() {
        try {
            flush();
        } finally {
            producer.close();
        }
    }
}
