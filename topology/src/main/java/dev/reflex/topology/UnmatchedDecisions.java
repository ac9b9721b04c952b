package dev.reflex.topology;

import java.util.Locale;

/** What is recorded for an event no rule matched: the setting {@code reflex.decisions.unmatched}. */
public enum UnmatchedDecisions {
    /** A full decision, with every candidate rule and why it did not match. */
    FULL,
    /** A decision without the rules and register values (detail SUMMARY). */
    SUMMARY,
    /** No decision. */
    NONE;

    public String setting() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static UnmatchedDecisions of(String setting) {
        return valueOf(setting.toUpperCase(Locale.ROOT));
    }
}
