package dev.reflex.schemas.registry;

/** A schema change that the subject's compatibility rule forbids. */
public final class IncompatibleSchemaException extends SchemaRegistryException {
    private final String subject;

    public IncompatibleSchemaException(String subject, String detail) {
        super(
                "schema for subject '" + subject + "' is incompatible with its registered versions"
                        + (detail == null || detail.isBlank() ? "" : ": " + detail),
                409);
        this.subject = subject;
    }

    public String subject() {
        return subject;
    }
}
