package dev.reflex.audit.explain;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.reflex.audit.history.RuleHistory;
import dev.reflex.audit.replay.DecisionReplay;
import dev.reflex.rules.CompiledRule;
import dev.reflex.rules.Evaluator;
import dev.reflex.rules.IndexedRule;
import dev.reflex.rules.correlate.Correlator;
import dev.reflex.schemas.Action;
import dev.reflex.schemas.ActionResult;
import dev.reflex.schemas.CorrelationOutcome;
import dev.reflex.schemas.CorrelationRole;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.DecisionDetail;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.Outcome;
import dev.reflex.schemas.RuleOutcome;

/**
 * Why an event led to what it did: each rule considered (matched, or the part of its condition that was false with the
 * values it saw), the actions re-rendered with the recorded rule version, and what became of them. {@code reflex
 * explain} prints it; anything else can render {@link #toMap()}.
 */
public final class ExplainStory {
    private final Event event;
    private final Decision decision;
    private final List<RuleLine> rules = new ArrayList<>();
    private final Map<String, Action> actions = new HashMap<>();
    private Map<String, ActionResult> results = Map.of();
    private String note;

    private ExplainStory(Event event, Decision decision) {
        this.event = event;
        this.decision = decision;
    }

    /** One rule's part in the story; {@code correlation} is the step it recorded, for a correlation rule. */
    public record RuleLine(String id, String version, Outcome outcome, String why, CorrelationOutcome correlation) {}

    /** The story of {@code decision} of {@code event} (null when aged out), with rules from {@code history}. */
    public static ExplainStory of(Event event, Decision decision, RuleHistory history) {
        ExplainStory story = new ExplainStory(event, decision);
        Map<String, String> registers = decision.getRegistersRead();
        List<RuleOutcome> outcomes = decision.getRules();
        if (decision.getDetail() == DecisionDetail.SUMMARY && event != null && history.hasTimeline()) {
            // a summary keeps no outcomes: take the rules live at the decision time, registers unknown (read as unset)
            outcomes = new ArrayList<>();
            for (IndexedRule rule : history.asOf(decision.getDecidedAt().toEpochMilli())
                    .candidates(event.getSource(), event.getType())) {
                outcomes.add(RuleOutcome.newBuilder()
                        .setRuleId(rule.id())
                        .setRuleVersion(rule.version())
                        .setOutcome(Outcome.CONDITION_FALSE)
                        .build());
            }
            story.note =
                    "recorded as a summary (reflex.decisions.unmatched=summary): the rules below are those applied at the decision "
                            + "time, and registers read as unset";
        }
        for (RuleOutcome outcome : outcomes) {
            String why = outcome.getDetail();
            if (outcome.getOutcome() == Outcome.CONDITION_FALSE) {
                Optional<IndexedRule> rule = history.compiled(outcome.getRuleId(), outcome.getRuleVersion());
                if (rule.isEmpty()) {
                    why = "(this version is not in the rule history, so the failing part cannot be shown)";
                } else if (event == null) {
                    why = "(the event is no longer on the events topic, so the failing part cannot be shown)";
                } else if (rule.get() instanceof CompiledRule compiled) {
                    why = Evaluator.whyFalse(compiled, event, name -> registers.get(name), decision.getDecidedAt())
                            .orElse("(the condition holds when replayed: see 'reflex replay' to audit this decision)");
                }
            }
            story.rules.add(new RuleLine(
                    outcome.getRuleId(),
                    outcome.getRuleVersion(),
                    outcome.getOutcome(),
                    why,
                    outcome.getCorrelation()));
        }
        if (event != null
                && decision.getDetail() == DecisionDetail.FULL
                && !decision.getActionIds().isEmpty()) {
            DecisionReplay.Replayed replayed = new DecisionReplay(history).replay(event, decision);
            if (replayed.evaluation() != null) {
                replayed.evaluation().actions().forEach(a -> story.actions.put(a.getId(), a));
            }
            story.renderFirings(outcomes, history);
        }
        return story;
    }

    /** The actions of correlation firings the event caused, rendered again from the recorded firing and rule version. */
    private void renderFirings(List<RuleOutcome> outcomes, RuleHistory history) {
        for (RuleOutcome outcome : outcomes) {
            CorrelationOutcome c = outcome.getCorrelation();
            if (outcome.getOutcome() != Outcome.FIRED || c == null || c.getRole() == CorrelationRole.DEADLINE) {
                continue;
            }
            Optional<IndexedRule> rule = history.compiled(outcome.getRuleId(), outcome.getRuleVersion());
            if (rule.isPresent() && rule.get() instanceof CompiledRule compiled && compiled.correlation() != null) {
                Correlator.Firing firing = new Correlator.Firing(
                        c.getFiringId(), event, c.getCount(), c.getFirst(), c.getLast(), c.getArmedAt(), c.getDueAt());
                Map<String, String> registers = decision.getRegistersRead();
                Correlator.render(compiled, firing, c.getKey(), event.getId(), registers::get, decision.getDecidedAt())
                        .actions()
                        .forEach(a -> actions.put(a.getId(), a));
            }
        }
    }

    /** The results of the decision's actions by action id, as found on the results topic. */
    public ExplainStory withResults(Map<String, ActionResult> found) {
        this.results = Map.copyOf(found);
        return this;
    }

    /** The event, or null when it is no longer on the events topic. */
    public Event event() {
        return event;
    }

    public Decision decision() {
        return decision;
    }

    public List<RuleLine> rules() {
        return List.copyOf(rules);
    }

    /** The action with this id as re-rendered from the recorded rule version, or null when it could not be. */
    public Action action(String id) {
        return actions.get(id);
    }

    /** The last result of the action with this id, or null when none was found. */
    public ActionResult result(String id) {
        return results.get(id);
    }

    /** A remark on how complete the story is, or null. */
    public String note() {
        return note;
    }

    private static Map<String, Object> correlationMap(CorrelationOutcome c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("key", c.getKey());
        m.put("role", c.getRole().name());
        m.put("count", c.getCount());
        m.put("first", time(c.getFirst()));
        m.put("last", time(c.getLast()));
        m.put("armedAt", time(c.getArmedAt()));
        m.put("dueAt", time(c.getDueAt()));
        m.put("until", time(c.getUntil()));
        m.put("by", c.getBy());
        m.put("firingId", c.getFiringId());
        m.put("lateMs", c.getLateMs());
        return m;
    }

    private static String time(Long millis) {
        return millis == null ? null : Instant.ofEpochMilli(millis).toString();
    }

    /** Whether this is the story of a correlation deadline's firing rather than of an event. */
    public boolean isDeadline() {
        return decision.getDetail() == DecisionDetail.CORRELATION
                && !decision.getRules().isEmpty()
                && decision.getRules().get(0).getCorrelation() != null
                && decision.getRules().get(0).getCorrelation().getRole() == CorrelationRole.DEADLINE;
    }

    /** The story as plain maps and lists, for JSON. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        Decision d = decision;
        m.put("eventId", d.getEventId());
        m.put("source", d.getEventSource());
        m.put("type", d.getEventType());
        m.put("subject", d.getSubject());
        if (event != null) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("time", event.getTime().toString());
            e.put("severity", event.getSeverity());
            e.put("labels", event.getLabels());
            e.put("data", event.getData());
            m.put("event", e);
        } else {
            m.put("event", null);
        }
        m.put("decidedAt", d.getDecidedAt().toString());
        m.put("engineInstance", d.getEngineInstance());
        m.put("evaluationMicros", d.getEvaluationMicros());
        m.put("detail", d.getDetail().name());
        if (note != null) {
            m.put("note", note);
        }
        List<Map<String, Object>> rs = new ArrayList<>();
        for (RuleLine rule : rules) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("id", rule.id());
            r.put("version", rule.version());
            r.put("outcome", rule.outcome().name());
            r.put("why", rule.why());
            if (rule.correlation() != null) {
                r.put("correlation", correlationMap(rule.correlation()));
            }
            rs.add(r);
        }
        m.put("rules", rs);
        List<Map<String, Object>> as = new ArrayList<>();
        for (String id : d.getActionIds()) {
            Map<String, Object> a = new LinkedHashMap<>();
            a.put("id", id);
            Action action = actions.get(id);
            if (action != null) {
                a.put("ruleId", action.getRuleId());
                a.put("system", action.getSystem());
                a.put("action", action.getAction());
                a.put("target", action.getTarget());
                a.put("params", action.getParams());
            }
            ActionResult r = results.get(id);
            if (r != null) {
                Map<String, Object> result = new LinkedHashMap<>();
                result.put("status", r.getStatus().name());
                result.put("attempts", r.getAttempts());
                result.put("durationMs", r.getDurationMs());
                result.put("httpStatus", r.getHttpStatus());
                result.put("exitCode", r.getExitCode());
                result.put("error", r.getError());
                result.put("finishedAt", r.getFinishedAt().toString());
                a.put("result", result);
            } else {
                a.put("result", null);
            }
            as.add(a);
        }
        m.put("actions", as);
        m.put("registerOps", d.getRegisterOps());
        m.put("registersRead", d.getRegistersRead());
        return m;
    }
}
