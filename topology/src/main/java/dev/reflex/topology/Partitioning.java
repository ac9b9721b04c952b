package dev.reflex.topology;

import java.util.Locale;

/** Where events are evaluated: the setting {@code reflex.evaluate.partitioning}. */
public enum Partitioning {
    /** From reflex.events, partitioned by subject: events of one subject are evaluated in order by one task. */
    SUBJECT,
    /** Where they are normalized, in the ingest topics' partitioning: one hop less, order per ingest partition. */
    INGEST;

    /** The setting's value, lower case. */
    public String setting() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Partitioning of(String setting) {
        return valueOf(setting.toUpperCase(Locale.ROOT));
    }
}
