package dev.reflex.topology;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

import org.apache.kafka.common.header.Headers;

/** Where events are evaluated: the setting {@code reflex.evaluate.partitioning}. */
public enum Partitioning {
    /**
     * Where they are normalized when the ingest record is keyed as reflex.events keys the event (by its subject, or its id
     * when it has none), as every Reflex connector writes them: all of a subject's records then share an ingest
     * partition, so they are evaluated in order by one task, with no extra hop. Any other record goes through
     * reflex.events, keyed by subject, and is evaluated from there.
     */
    AUTO,
    /** From reflex.events, partitioned by subject: events of one subject are evaluated in order by one task. */
    SUBJECT,
    /** Where they are normalized, in the ingest topics' partitioning: one hop less, order per ingest partition. */
    INGEST;

    /**
     * The header on an event of reflex.events that was evaluated where it was normalized; the engine's reader of
     * reflex.events passes over such events, so switching this setting neither loses nor repeats an evaluation.
     */
    public static final String EVALUATED_HEADER = "reflex-evaluated";

    static final byte[] EVALUATED_AT_INGEST = "ingest".getBytes(StandardCharsets.UTF_8);

    /** The setting's value, lower case. */
    public String setting() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Partitioning of(String setting) {
        return valueOf(setting.toUpperCase(Locale.ROOT));
    }

    /** Whether an event keyed {@code eventKey} on reflex.events, read from a record keyed {@code recordKey}, is evaluated there. */
    public boolean evaluatesAtIngest(byte[] recordKey, String eventKey) {
        return switch (this) {
            case INGEST -> true;
            case SUBJECT -> false;
            case AUTO -> recordKey != null && Arrays.equals(recordKey, eventKey.getBytes(StandardCharsets.UTF_8));
        };
    }

    /** As above, for a record whose key was read as text. */
    public boolean evaluatesAtIngest(String recordKey, String eventKey) {
        return switch (this) {
            case INGEST -> true;
            case SUBJECT -> false;
            case AUTO -> eventKey.equals(recordKey);
        };
    }

    /** Marks an event record as evaluated where it was normalized. */
    public static void markEvaluated(Headers headers) {
        headers.add(EVALUATED_HEADER, EVALUATED_AT_INGEST);
    }

    /** Whether an event record of reflex.events was evaluated where it was normalized. */
    public static boolean wasEvaluated(Headers headers) {
        return headers.lastHeader(EVALUATED_HEADER) != null;
    }
}
