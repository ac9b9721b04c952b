package dev.reflex.schemas.registry;

import java.util.Optional;

import org.apache.avro.Schema;

/**
 * What Reflex's serdes need of a schema registry: ids for the schemas they write, schemas for the ids they read.
 * {@link SchemaRegistryClient} talks to a Confluent-compatible registry over HTTP; {@link InMemorySchemaRegistry}
 * keeps them in the process, for tests that drive the topology without a broker.
 */
public interface SchemaRegistry {
    /** Registers {@code schema} under {@code subject} (idempotent) and returns its id. */
    int register(String subject, Schema schema);

    /** The id of {@code schema} if it is already registered under {@code subject}, without registering it. */
    Optional<Integer> lookup(String subject, Schema schema);

    /** The schema with this id, from any subject; throws {@link SchemaRegistryException} (status 404) for an unknown id. */
    Schema schemaById(int id);
}
