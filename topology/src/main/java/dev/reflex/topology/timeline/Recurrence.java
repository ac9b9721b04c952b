package dev.reflex.topology.timeline;

import java.util.List;

/**
 * The keys and values of the recurrence store ("has this happened before"). An event is stored once, under its type
 * and subject, with the systems it is on in the value: {@code <n>\0<system 1>\0...\0<system n>\0<event id>} (system
 * names hold no NUL; the event id is the rest). Earlier versions stored the event id once per system, under {@code
 * <system>\0<type>\0<subject>}; those keys are read too until their retention ends.
 */
final class Recurrence {
    private Recurrence() {}

    static String key(String type, String subject) {
        return type + '\u0000' + (subject == null ? "" : subject);
    }

    /** The key earlier versions wrote, one per system. */
    static String keyOnSystem(String system, String type, String subject) {
        return system + '\u0000' + type + '\u0000' + (subject == null ? "" : subject);
    }

    static String value(List<String> systems, String eventId) {
        StringBuilder out = new StringBuilder().append(systems.size());
        for (String system : systems) {
            out.append('\u0000').append(system);
        }
        return out.append('\u0000').append(eventId).toString();
    }

    /** The event id in {@code value} when that event was on {@code system}, else null. */
    static String eventOn(String value, String system) {
        int at = value.indexOf('\u0000');
        int n;
        try {
            n = Integer.parseInt(value.substring(0, at));
        } catch (RuntimeException notOurs) {
            return null;
        }
        boolean on = false;
        int from = at + 1;
        for (int i = 0; i < n; i++) {
            int end = value.indexOf('\u0000', from);
            if (end < 0) {
                return null;
            }
            on |= value.regionMatches(from, system, 0, system.length()) && end - from == system.length();
            from = end + 1;
        }
        return on ? value.substring(from) : null;
    }
}
