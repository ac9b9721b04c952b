package dev.reflex.schemas;

/**
 * What is needed to create a topic: its name, whether it is compacted (a table) or deleted by age (a log), and for a
 * log its retention ({@code retentionMs} -1: kept forever; 0: the broker's default).
 */
public record TopicSpec(String name, boolean compacted, long retentionMs) {
    public TopicSpec(String name, boolean compacted) {
        this(name, compacted, 0);
    }
}
