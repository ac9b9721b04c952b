package dev.reflex.schemas;

/** What is needed to create a topic: its name and whether it is compacted (a table) or deleted by age (a log). */
public record TopicSpec(String name, boolean compacted) {
}
