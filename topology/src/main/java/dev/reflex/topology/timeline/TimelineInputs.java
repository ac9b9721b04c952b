package dev.reflex.topology.timeline;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.apache.kafka.streams.KeyValue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;

import dev.reflex.schemas.Decision;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.FlowTransition;
import dev.reflex.schemas.Outcome;
import dev.reflex.schemas.Rule;
import dev.reflex.schemas.RuleOutcome;
import dev.reflex.topology.timeline.TimelineEntry.Kind;

/**
 * Turns what the engine records into timeline inputs, each keyed by the id of the event it belongs to: an event by its
 * own id, a decision by its event's, an action result (the event the engine made of it) by the id of the event that
 * asked for the action, a flow transition by the event that started the run, a rule change by the rule.
 */
public final class TimelineInputs {
    /** Data kept in a story, at most (characters); longer data is cut. */
    public static final int MAX_DATA = 16_384;

    private static final String RESULTS_SOURCE = "reflex";
    /** Where actors tell what an action waits for ({@code ingest.actors}). */
    private static final String WAITING_SOURCE = "actors";

    private TimelineInputs() {}

    /**
     * An event, on the timeline at {@code seenAt} (its record's time: when it reached Reflex; its own time is in the
     * story); an action result's event yields its result entry and the event itself, kept for its own story.
     */
    public static List<KeyValue<String, TimelineInput>> of(Event event, long seenAt) {
        TimelineInput.Match match =
                new TimelineInput.Match(event.getSource(), event.getType(), event.getSubject(), event.getLabels());
        TimelineEntry entry = new TimelineEntry(
                event.getId(),
                Kind.EVENT,
                seenAt,
                event.getId(),
                event.getSource(),
                event.getType(),
                event.getSubject(),
                event.getSeverity(),
                alertStatus(event.getType()),
                null,
                List.of(),
                null,
                List.of(),
                cut(event.getData()),
                detail(event));
        String askedBy = resultOf(event);
        if (askedBy == null) {
            return List.of(KeyValue.pair(event.getId(), new TimelineInput(entry, true, match)));
        }
        JsonNode data = parse(event.getData());
        String status = event.getType().substring("action.".length());
        StringBuilder summary = new StringBuilder(data.path("system").asText("?"))
                .append(' ')
                .append(data.path("action").asText("?"));
        if (event.getSubject() != null) {
            summary.append(" on ").append(event.getSubject());
        }
        if (data.path("attempts").asInt(1) > 1) {
            summary.append(" after ").append(data.path("attempts").asInt()).append(" attempts");
        }
        if (data.hasNonNull("error")) {
            summary.append(" (").append(data.path("error").asText()).append(')');
        }
        if (data.hasNonNull("waiting")) {
            summary.append(" (waiting: ").append(data.path("waiting").asText()).append(')');
        }
        TimelineEntry result = new TimelineEntry(
                event.getId(),
                Kind.RESULT,
                entry.time(),
                askedBy,
                event.getSource(),
                event.getType(),
                event.getSubject(),
                null,
                status,
                summary.toString(),
                data.hasNonNull("ruleId") ? List.of(data.path("ruleId").asText()) : List.of(),
                null,
                List.of(),
                cut(event.getData()),
                null);
        return List.of(
                KeyValue.pair(askedBy, new TimelineInput(result, true, match)),
                KeyValue.pair(event.getId(), new TimelineInput(entry, false, match)));
    }

    /** A decision, with every rule's outcome and the registers it read as its detail. */
    public static KeyValue<String, TimelineInput> of(Decision decision) {
        List<String> fired = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        List<Map<String, Object>> outcomes = new ArrayList<>();
        List<String> other = new ArrayList<>();
        String otherStatus = null;
        for (RuleOutcome rule : decision.getRules()) {
            Outcome o = rule.getOutcome();
            if (o == Outcome.MATCHED || o == Outcome.FIRED) {
                fired.add(rule.getRuleId());
            } else if (o == Outcome.ERROR || o == Outcome.QUARANTINED) {
                errors.add(rule.getRuleId());
            } else if (o != Outcome.CONDITION_FALSE && o != Outcome.DISABLED) {
                // a correlation or flow step: armed, counted, throttled, advanced...
                otherStatus = otherStatus == null ? o.name().toLowerCase(Locale.ROOT) : otherStatus;
                other.add(rule.getRuleId() + (rule.getDetail() == null ? "" : ": " + rule.getDetail()));
            }
            Map<String, Object> outcome = new LinkedHashMap<>();
            outcome.put("rule", rule.getRuleId());
            outcome.put("version", rule.getRuleVersion());
            outcome.put("outcome", o.name());
            if (rule.getDetail() != null) {
                outcome.put("detail", rule.getDetail());
            }
            outcomes.add(outcome);
        }
        String status = !fired.isEmpty()
                ? "fired"
                : !errors.isEmpty() ? "error" : otherStatus != null ? otherStatus : "nothing";
        String summary = !fired.isEmpty()
                ? String.join(", ", fired) + actions(decision.getActionIds().size())
                : !errors.isEmpty()
                        ? "in " + String.join(", ", errors)
                        : !other.isEmpty()
                                ? String.join("; ", other)
                                : "no rule fired (" + decision.getRulesConsidered() + " considered)";
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("rules", outcomes);
        detail.put("actions", List.copyOf(decision.getActionIds()));
        detail.put("registersRead", new LinkedHashMap<>(decision.getRegistersRead()));
        detail.put("registerOps", List.copyOf(decision.getRegisterOps()));
        detail.put("considered", decision.getRulesConsidered());
        detail.put("decision", decision.getDetail().name());
        long at = decision.getDecidedAt().toEpochMilli();
        TimelineEntry entry = new TimelineEntry(
                "decision/" + decision.getEventId() + "/" + at + "/" + decision.getDetail(),
                Kind.DECISION,
                at,
                decision.getEventId(),
                decision.getEventSource(),
                decision.getEventType(),
                decision.getSubject(),
                null,
                status,
                summary,
                fired,
                null,
                List.of(),
                null,
                detail);
        return KeyValue.pair(
                decision.getEventId(),
                new TimelineInput(
                        entry,
                        true,
                        new TimelineInput.Match(
                                decision.getEventSource(), decision.getEventType(), decision.getSubject(), Map.of())));
    }

    /** A flow transition, on the systems of the event that started its run. */
    public static KeyValue<String, TimelineInput> of(FlowTransition t) {
        String run = t.getFlowId() + "/" + t.getKey() + "#" + t.getRun();
        String kind = t.getKind().name().toLowerCase(Locale.ROOT).replace('_', ' ');
        StringBuilder summary = new StringBuilder("flow ")
                .append(t.getFlowId())
                .append(" (")
                .append(t.getKey())
                .append(", run ")
                .append(t.getRun())
                .append("): ")
                .append(kind);
        if (t.getStep() != null) {
            summary.append(' ').append(t.getStep());
        }
        if (t.getDetail() != null) {
            summary.append(" - ").append(t.getDetail());
        }
        long at = t.getAt().toEpochMilli();
        String key = t.getStartedBy() != null ? t.getStartedBy() : t.getEventId() != null ? t.getEventId() : run;
        TimelineEntry entry = new TimelineEntry(
                "flow/" + run + "/" + at + "/" + t.getKind() + "/" + t.getStep() + "/" + t.getThread() + "/"
                        + t.getAttempt(),
                Kind.FLOW,
                at,
                key,
                null,
                null,
                null,
                null,
                t.getKind().name().toLowerCase(Locale.ROOT),
                summary.toString(),
                List.of(t.getFlowId()),
                run,
                List.of(),
                null,
                null);
        return KeyValue.pair(key, new TimelineInput(entry, true, null));
    }

    /** A rule's new version, or its removal ({@code rule} null), on the systems its trigger may see. */
    public static KeyValue<String, TimelineInput> ofRule(String id, Rule rule, long time) {
        String version = rule == null ? "removed" : rule.getVersion();
        String source = rule == null ? null : rule.getWhen().getSource();
        String type = rule == null ? null : rule.getWhen().getType();
        String summary = rule == null
                ? "rule " + id
                : (rule.getFlow() != null ? "flow " : "rule ") + id + " version " + version
                        + (rule.getEnabled() ? "" : " (disabled)") + " - when "
                        + (source == null ? "any source" : source) + " / "
                        + (type == null ? "any type" : type);
        TimelineEntry entry = new TimelineEntry(
                "rule/" + id + "/" + version + "/" + time,
                Kind.RULE,
                time,
                null,
                null,
                null,
                null,
                null,
                rule == null ? "removed" : "applied",
                summary,
                List.of(id),
                null,
                List.of(),
                null,
                null);
        // a removal is on every timeline's ALL only: which systems the removed version saw is not known here
        return KeyValue.pair(
                "rule/" + id,
                new TimelineInput(
                        entry, true, rule == null ? null : new TimelineInput.Match(source, type, null, Map.of())));
    }

    /** The id of the event that asked for the action this event reports (its result, or what it waits for), or null. */
    static String resultOf(Event event) {
        boolean result = RESULTS_SOURCE.equals(event.getSource())
                && ("action.succeeded".equals(event.getType()) || "action.failed".equals(event.getType()));
        boolean waiting = WAITING_SOURCE.equals(event.getSource()) && "action.waiting".equals(event.getType());
        if (!result && !waiting) {
            return null;
        }
        JsonNode id = parse(event.getData()).path("eventId");
        return id.isTextual() && !id.asText().isEmpty() ? id.asText() : null;
    }

    /** {@code firing} or {@code resolved} for an alert's event type ({@code alert.firing}, {@code x.resolved}), else null. */
    static String alertStatus(String type) {
        if (type == null) {
            return null;
        }
        return type.endsWith(".firing") ? "firing" : type.endsWith(".resolved") ? "resolved" : null;
    }

    private static String actions(int n) {
        return n == 0 ? "" : n == 1 ? " (1 action)" : " (" + n + " actions)";
    }

    private static Map<String, Object> detail(Event event) {
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("eventTime", event.getTime().toEpochMilli());
        if (event.getLabels() != null && !event.getLabels().isEmpty()) {
            detail.put("labels", new LinkedHashMap<>(event.getLabels()));
        }
        if (event.getCorrelationid() != null) {
            detail.put("correlationid", event.getCorrelationid());
        }
        return detail;
    }

    private static String cut(String data) {
        return data == null || data.length() <= MAX_DATA ? data : data.substring(0, MAX_DATA);
    }

    private static JsonNode parse(String data) {
        if (data == null) {
            return MissingNode.getInstance();
        }
        try {
            return TimelineEntry.json().readTree(data);
        } catch (IOException e) {
            return MissingNode.getInstance();
        }
    }
}
