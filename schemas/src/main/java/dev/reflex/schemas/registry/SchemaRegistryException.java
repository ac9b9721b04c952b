package dev.reflex.schemas.registry;

import org.apache.kafka.common.KafkaException;

/** The registry answered, but refused the request (bad schema, unknown id or subject, incompatible change). */
public class SchemaRegistryException extends KafkaException {
    private final int status;

    public SchemaRegistryException(String message, int status) {
        super(message);
        this.status = status;
    }

    /** The HTTP status the registry answered with. */
    public int status() {
        return status;
    }
}
