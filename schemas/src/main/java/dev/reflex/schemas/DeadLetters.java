package dev.reflex.schemas;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Builds the dead letter for a record that could not be read or processed: the original bytes, where they came from,
 * who could not read them and why. Every Reflex process that reads a topic uses this, so all dead letters look alike.
 */
public final class DeadLetters {
    /** The most of the original value a dead letter keeps: it must fit the dead-letter topic's default 1 MB limit. */
    public static final int MAX_VALUE_BYTES = 512 * 1024;
    /** The most of the original key a dead letter keeps. */
    public static final int MAX_KEY_BYTES = 64 * 1024;
    /** The most of the original headers (names and values) a dead letter keeps; later headers are left out. */
    public static final int MAX_HEADER_BYTES = 64 * 1024;

    private DeadLetters() {}

    public static DeadLetter of(
            String topic,
            int partition,
            long offset,
            long timestamp,
            byte[] key,
            byte[] value,
            Headers headers,
            String stage,
            String reader,
            String reason,
            Throwable error,
            Instant failedAt) {
        List<DeadLetterHeader> copied = new ArrayList<>();
        long headersSize = 0;
        if (headers != null) {
            for (Header h : headers) {
                int size = h.key().getBytes(StandardCharsets.UTF_8).length + (h.value() == null ? 0 : h.value().length);
                headersSize += size;
                if (headersSize <= MAX_HEADER_BYTES) {
                    copied.add(new DeadLetterHeader(h.key(), h.value() == null ? null : ByteBuffer.wrap(h.value())));
                }
            }
        }
        return DeadLetter.newBuilder()
                .setTopic(topic == null ? "" : topic)
                .setPartition(partition)
                .setOffset(offset)
                .setTimestamp(Instant.ofEpochMilli(Math.max(0, timestamp)))
                .setKey(cut(key, MAX_KEY_BYTES))
                .setKeySize(key == null ? -1 : key.length)
                .setValue(cut(value, MAX_VALUE_BYTES))
                .setValueSize(value == null ? -1 : value.length)
                .setHeaders(copied)
                .setHeadersSize(headersSize)
                .setStage(stage)
                .setReader(reader)
                .setReason(reason)
                .setErrorClass(error == null ? null : error.getClass().getName())
                .setFailedAt(failedAt)
                .build();
    }

    /** The dead letter of a record a plain consumer read as bytes and could not use. */
    public static DeadLetter of(
            ConsumerRecord<?, byte[]> record, byte[] rawKey, String stage, String reader, Throwable error) {
        return of(
                record.topic(),
                record.partition(),
                record.offset(),
                record.timestamp(),
                rawKey,
                record.value(),
                record.headers(),
                stage,
                reader,
                reason(error),
                error,
                Instant.now());
    }

    /** The record to send to the dead-letter topic: keyed by the topic the letter came from. */
    public static ProducerRecord<String, byte[]> toRecord(
            TopicNames names, Serializer<DeadLetter> serializer, DeadLetter letter) {
        return new ProducerRecord<>(names.dlq(), null, letter.getTopic(), serializer.serialize(names.dlq(), letter));
    }

    private static ByteBuffer cut(byte[] bytes, int max) {
        return bytes == null
                ? null
                : ByteBuffer.wrap(bytes, 0, Math.min(bytes.length, max)).slice();
    }

    /**
     * Infrastructure trouble (an unreachable registry or broker): retry, do not dead-letter. Decided by the first telling
     * cause: a retriable Kafka error or an I/O error is trouble on the way; a serialization error means the bytes
     * themselves are bad, even when the decoder reported it as an I/O error (a truncated record is an EOF).
     */
    public static boolean isRetriable(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof RetriableException) {
                return true;
            }
            if (t instanceof SerializationException) {
                return false;
            }
            if (t instanceof IOException) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    /** The most specific message in the cause chain. */
    public static String reason(Throwable error) {
        String message = null;
        for (Throwable t = error; t != null && t.getCause() != t; t = t.getCause()) {
            if (t.getMessage() != null) {
                message = t.getMessage();
            }
        }
        return message == null ? error.getClass().getSimpleName() : message;
    }
}
