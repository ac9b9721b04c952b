package dev.reflex.schemas.registry;

import org.apache.kafka.common.errors.RetriableException;

/** The registry could not be reached or failed on its side: retry, never dead-letter. */
public final class SchemaRegistryUnavailableException extends RetriableException {
    public SchemaRegistryUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
