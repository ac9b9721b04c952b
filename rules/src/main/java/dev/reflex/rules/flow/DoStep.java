package dev.reflex.rules.flow;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import dev.reflex.rules.expr.Durations;
import dev.reflex.rules.expr.RuleException;
import dev.reflex.rules.expr.Template;
import dev.reflex.schemas.Action;
import dev.reflex.schemas.ActionIds;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.FlowPhase;
import dev.reflex.schemas.FlowThread;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.TransitionKind;

/**
 * {@code do}: emits an action on {@code system}'s topic and waits for its result (outcomes succeeded, failed, timeout),
 * with retries by backoff. The action id derives from the run, the step, the attempt and the loop indexes, so an
 * action emitted again after a restart is the same action.
 */
public record DoStep(
        Place place,
        String system,
        String action,
        Template target,
        Map<String, Template> params,
        Retry retry,
        long timeoutMs)
        implements Step {
    static final long DEFAULT_TIMEOUT_MS = 3_600_000;

    /** Retries of a failed action: how many attempts in all, and the backoff between them. */
    public record Retry(int attempts, long backoffMs, double factor, long maxMs) {
        long delay(int attempt) {
            double delay = backoffMs * Math.pow(factor, attempt);
            return (long) Math.min(delay, maxMs);
        }
    }

    static DoStep read(Place place, Map<String, Object> s, String at, StepKinds.Compiler compiler) {
        String p = at + ".do";
        Map<String, Object> d = FlowSteps.map(s.get("do"), p, Set.of("system", "action", "target", "params"), true);
        String system = FlowSteps.text(d.get("system"), p + ".system");
        if (!TopicNames.isValidPart(system)) {
            throw new RuleException(p + ".system", "a do step needs a 'system' of letters, digits, '.', '_' or '-'");
        }
        String action = FlowSteps.text(d.get("action"), p + ".action");
        if (action == null || action.isBlank()) {
            throw new RuleException(p + ".action", "a do step needs an 'action'");
        }
        Template target = d.get("target") == null
                ? null
                : FlowSteps.at(p + ".target", () -> Template.compile(FlowSteps.text(d.get("target"), p + ".target")));
        Map<String, Template> params = new LinkedHashMap<>();
        FlowSteps.map(d.get("params"), p + ".params", null, false)
                .forEach((k, v) -> params.put(
                        k,
                        FlowSteps.at(
                                p + ".params." + k, () -> Template.compile(FlowSteps.text(v, p + ".params." + k)))));
        Retry retry = null;
        if (s.get("retry") != null) {
            Map<String, Object> r =
                    FlowSteps.map(s.get("retry"), at + ".retry", Set.of("attempts", "backoff", "factor", "max"), true);
            int attempts = FlowSteps.integer(r.get("attempts"), at + ".retry.attempts", 1, 100);
            long backoff =
                    r.get("backoff") == null ? 1_000 : FlowSteps.duration(r.get("backoff"), at + ".retry.backoff");
            double factor = r.get("factor") == null ? 2 : FlowSteps.number(r.get("factor"), at + ".retry.factor");
            long max = r.get("max") == null
                    ? Math.max(backoff, 300_000)
                    : FlowSteps.duration(r.get("max"), at + ".retry.max");
            retry = new Retry(attempts, backoff, factor, max);
        }
        long timeout =
                s.get("timeout") == null ? DEFAULT_TIMEOUT_MS : FlowSteps.duration(s.get("timeout"), at + ".timeout");
        FlowSteps.outcomes(place.next(), at + ".next", Set.of("succeeded", "failed", "timeout"));
        return new DoStep(place, system, action, target, Map.copyOf(params), retry, timeout);
    }

    @Override
    public boolean run(FlowRun runner, FlowThread t) {
        t.setAttempt(0);
        act(runner, t);
        return false;
    }

    /** Emits this attempt's action and waits for its result until the timeout. */
    void act(FlowRun runner, FlowThread t) {
        Map<String, Object> vars = runner.vars(t);
        Map<String, String> rendered = new TreeMap<>();
        params.forEach((name, template) -> rendered.put(name, template.render(vars)));
        String to = target == null ? runner.instance.getKey() : target.render(vars);
        CompiledFlow flow = runner.flow;
        String id = ActionIds.hash(
                flow.id,
                runner.instance.getKey(),
                Integer.toString(runner.instance.getRun()),
                String.valueOf(runner.instance.getStartedBy()),
                id(),
                Integer.toString(t.getAttempt()),
                new TreeMap<>(t.getLoops()).toString());
        Event event = runner.input.event();
        runner.actions.add(Action.newBuilder()
                .setId(id)
                .setSystem(system)
                .setAction(action)
                .setTarget(to)
                .setParams(rendered)
                .setEventId(runner.cause)
                .setEventSource(event == null ? "reflex" : event.getSource())
                .setEventType(event == null ? "flow.timer" : event.getType())
                .setRuleId(flow.id)
                .setRuleVersion(flow.version)
                .setCorrelationid(new FlowAddress(flow.id, runner.instance.getKey()).correlationId())
                .setTraceparent(event == null ? null : event.getTraceparent())
                .setCreatedAt(Instant.ofEpochMilli(runner.now))
                .build());
        t.setPhase(FlowPhase.ACTING);
        t.setActionId(id);
        t.setDueAt(runner.now + timeoutMs);
        runner.transition(
                        TransitionKind.STEP_STARTED,
                        t,
                        id(),
                        system + " " + action + " " + to + " (attempt " + (t.getAttempt() + 1) + ")")
                .setActionId(id);
    }

    /** After a failed attempt: schedules the next one and says so, or false when no attempt is left. */
    boolean retryLater(FlowRun runner, FlowThread t) {
        if (retry == null || t.getAttempt() + 1 >= retry.attempts()) {
            return false;
        }
        long delay = retry.delay(t.getAttempt());
        t.setPhase(FlowPhase.BACKOFF);
        t.setDueAt(runner.now + delay);
        runner.transition(
                TransitionKind.RETRY_SCHEDULED,
                t,
                id(),
                "attempt " + (t.getAttempt() + 1) + " failed; attempt " + (t.getAttempt() + 2) + " of "
                        + retry.attempts() + " in " + Durations.words(delay));
        return true;
    }
}
