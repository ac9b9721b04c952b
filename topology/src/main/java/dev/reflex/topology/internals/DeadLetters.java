package dev.reflex.topology.internals;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

import dev.reflex.schemas.DeadLetter;
import dev.reflex.schemas.DeadLetterHeader;

/** Builds the dead letter for a record that could not be processed: the original bytes and where they came from. */
public final class DeadLetters {
    /** The most of the original value a dead letter keeps: it must fit the dead-letter topic's default 1 MB limit. */
    public static final int MAX_VALUE_BYTES = 512 * 1024;

    private DeadLetters() {
    }

    public static DeadLetter of(String topic, int partition, long offset, long timestamp, byte[] key, byte[] value,
                                Headers headers, String stage, String reason, Throwable error, Instant failedAt) {
        List<DeadLetterHeader> copied = new ArrayList<>();
        if (headers != null) {
            for (Header h : headers) {
                copied.add(new DeadLetterHeader(h.key(), h.value() == null ? null : ByteBuffer.wrap(h.value())));
            }
        }
        return DeadLetter.newBuilder()
            .setTopic(topic == null ? "" : topic)
            .setPartition(partition)
            .setOffset(offset)
            .setTimestamp(Instant.ofEpochMilli(Math.max(0, timestamp)))
            .setKey(key == null ? null : ByteBuffer.wrap(key))
            .setValue(value == null ? null : ByteBuffer.wrap(value, 0, Math.min(value.length, MAX_VALUE_BYTES)).slice())
            .setValueSize(value == null ? -1 : value.length)
            .setHeaders(copied)
            .setStage(stage)
            .setReason(reason)
            .setErrorClass(error == null ? null : error.getClass().getName())
            .setFailedAt(failedAt)
            .build();
    }

    /** Infrastructure trouble (an unreachable registry or broker) anywhere in the cause chain: retry, do not dead-letter. */
    public static boolean isRetriable(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof RetriableException || t instanceof java.io.IOException) {
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
