package dev.reflex.cli;

/**
 * A command that another artifact adds to {@code reflex}, found with {@link java.util.ServiceLoader}: {@code reflex dev}
 * lives in the dev artifact, with the in-process broker and registry, so the production artifact carries neither.
 */
public interface CommandPlugin {
    /** The picocli command object (annotated with {@code @Command}). */
    Object command();
}
