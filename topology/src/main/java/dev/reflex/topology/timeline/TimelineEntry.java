package dev.reflex.topology.timeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * One line of a system's timeline: an event, what the rules decided for it, an action's result, a flow transition or a
 * rule change. {@code eventId} ties decisions, results and transitions to the event they belong to. {@code data} and
 * {@code detail} are kept in the event's story only, never in the timeline itself; both are masked before they are
 * stored.
 *
 * @param id       unique per entry (an event's own id; derived for the others)
 * @param kind     what it is
 * @param time     when it happened: for events and results, when the record reached Kafka (an event's own time, which
 *                 a source may set in the past, is {@code detail.eventTime}); decision and transition times as recorded
 * @param status   a word for the outcome: {@code firing}/{@code resolved} for alerts, {@code fired}/{@code nothing}/{@code
 *                 error} for decisions, {@code succeeded}/{@code failed} for results, the transition's kind for flows
 * @param summary  a line for humans
 * @param rules    the rules that fired (decisions) or asked for the action (results), or the rule changed
 * @param flow     {@code flowId/key#run} for flow transitions
 * @param systems  the systems the entry was put on
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TimelineEntry(
        String id,
        Kind kind,
        long time,
        String eventId,
        String source,
        String type,
        String subject,
        String severity,
        String status,
        String summary,
        List<String> rules,
        String flow,
        List<String> systems,
        String data,
        Map<String, Object> detail) {

    public enum Kind {
        EVENT,
        DECISION,
        RESULT,
        FLOW,
        RULE
    }

    private static final ObjectMapper JSON =
            new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    public TimelineEntry {
        rules = rules == null ? List.of() : List.copyOf(rules);
        systems = systems == null ? List.of() : List.copyOf(systems);
    }

    /** The entry as the timeline lists it: without data and detail, on {@code systems}. */
    public TimelineEntry listed(List<String> onSystems) {
        return new TimelineEntry(
                id, kind, time, eventId, source, type, subject, severity, status, summary, rules, flow, onSystems, null,
                null);
    }

    public TimelineEntry withSystems(List<String> onSystems) {
        return new TimelineEntry(
                id, kind, time, eventId, source, type, subject, severity, status, summary, rules, flow, onSystems, data,
                detail);
    }

    public TimelineEntry masked(String maskedSummary, String maskedData, Map<String, Object> maskedDetail) {
        return new TimelineEntry(
                id,
                kind,
                time,
                eventId,
                source,
                type,
                subject,
                severity,
                status,
                maskedSummary,
                rules,
                flow,
                systems,
                maskedData,
                maskedDetail);
    }

    /** Whether {@code text} (lower case) occurs in its id, event id, source, type, subject, status, summary or rules. */
    public boolean mentions(String text) {
        for (String field : new String[] {id, eventId, source, type, subject, status, summary, flow}) {
            if (field != null && field.toLowerCase(Locale.ROOT).contains(text)) {
                return true;
            }
        }
        return rules.stream().anyMatch(r -> r.toLowerCase(Locale.ROOT).contains(text));
    }

    public byte[] toJson() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads an entry; throws {@link IllegalArgumentException} for anything that is not one. */
    public static TimelineEntry fromJson(byte[] json) {
        try {
            TimelineEntry entry = JSON.readValue(json, TimelineEntry.class);
            if (entry.id() == null || entry.kind() == null) {
                throw new IllegalArgumentException("a timeline entry needs an id and a kind");
            }
            return entry;
        } catch (IOException e) {
            throw new IllegalArgumentException("not a timeline entry: " + e.getMessage(), e);
        }
    }

    static ObjectMapper json() {
        return JSON;
    }
}
