package dev.reflex.rules.yaml;

/** A problem in a rules or systems file, at a line: printed as {@code file:line: message}. */
public record Problem(String file, int line, String message) {
    @Override
    public String toString() {
        return file + ":" + line + ": " + message;
    }
}
