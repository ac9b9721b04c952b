package dev.reflex.rules.expr;

/** A rule that cannot be accepted, with the field it concerns (e.g. {@code when.condition}) and why. */
public final class RuleException extends RuntimeException {
    private final String field;

    public RuleException(String field, String reason) {
        super(reason);
        this.field = field;
    }

    /** The field path inside the rule, e.g. {@code then[0].params.host}; empty for the rule as a whole. */
    public String field() {
        return field;
    }

    public String reason() {
        return getMessage();
    }

    /** The same problem, attributed to a field. */
    public RuleException at(String newField) {
        return new RuleException(newField, getMessage());
    }
}
