package dev.reflex.actors;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Writes an actor's outcomes with the consumer offsets they complete, in one transaction per batch, on a thread of its
 * own: the actor's loop goes on starting actions during the round trips to the broker. One batch is written at a time,
 * so batches commit in the order they were handed over; what a batch settles (the ids it reported, the records it lets
 * go) runs on the loop's thread, when the loop asks, after the transaction committed. A failed transaction fails the
 * loop when it next asks.
 */
final class ResultWriter implements AutoCloseable {
    private final Producer<String, byte[]> producer;
    private final ExecutorService thread;
    private Future<Runnable> writing;

    ResultWriter(Producer<String, byte[]> producer, String name) {
        this.producer = producer;
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    /** Whether a batch is being written. */
    boolean busy() {
        return writing != null && !writing.isDone();
    }

    /**
     * Writes {@code records} and commits {@code offsets} for {@code group} in one transaction, in the background;
     * {@code settled} runs on the thread that calls {@link #settle} after it committed. Only when not {@link #busy}.
     */
    void write(
            List<ProducerRecord<String, byte[]>> records,
            Map<TopicPartition, Long> offsets,
            ConsumerGroupMetadata group,
            Runnable settled) {
        if (busy()) {
            throw new IllegalStateException("a batch is still being written");
        }
        settle(false);
        writing = thread.submit(() -> {
            producer.beginTransaction();
            records.forEach(producer::send);
            if (!offsets.isEmpty()) {
                Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
                offsets.forEach((partition, offset) -> next.put(partition, new OffsetAndMetadata(offset)));
                producer.sendOffsetsToTransaction(next, group);
            }
            producer.commitTransaction();
            return settled;
        });
    }

    /**
     * Runs what the last batch settles once it committed: waiting for it when {@code wait}, else only if it is done.
     * Throws what failed the transaction.
     */
    void settle(boolean wait) {
        if (writing == null || !wait && !writing.isDone()) {
            return;
        }
        Future<Runnable> done = writing;
        writing = null;
        try {
            done.get().run();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while results were written", e);
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
