package dev.reflex.topology.normalize;

/** An ingest record that cannot become an event; the message is the reason recorded in the dead letter. */
public final class NormalizationException extends Exception {
    public NormalizationException(String reason) {
        super(reason);
    }

    public NormalizationException(String reason, Throwable cause) {
        super(reason, cause);
    }
}
