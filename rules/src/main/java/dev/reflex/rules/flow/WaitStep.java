package dev.reflex.rules.flow;

import java.time.Instant;
import java.util.Map;
import java.util.Set;

import dev.reflex.rules.expr.Expression;
import dev.reflex.rules.expr.RuleException;
import dev.reflex.rules.expr.Template;
import dev.reflex.schemas.FlowPhase;
import dev.reflex.schemas.FlowThread;
import dev.reflex.schemas.TransitionKind;

/**
 * {@code wait}: the thread waits for an event ({@code for}: source, type, condition), of the instance found by
 * {@code key}, until its timeout (outcomes event, timeout).
 */
public record WaitStep(Place place, CompiledFlow.Trigger waitFor, Template key, long timeoutMs) implements Step {
    static WaitStep read(Place place, Map<String, Object> s, String at, StepKinds.Compiler compiler) {
        String p = at + ".wait";
        Map<String, Object> w = FlowSteps.map(s.get("wait"), p, Set.of("for", "key", "timeout"), true);
        Map<String, Object> f = FlowSteps.map(w.get("for"), p + ".for", Set.of("source", "type", "condition"), true);
        String source = FlowSteps.text(f.get("source"), p + ".for.source");
        String type = FlowSteps.text(f.get("type"), p + ".for.type");
        if (source == null && type == null) {
            throw new RuleException(p + ".for", "a wait needs a source and/or type: which event does it wait for?");
        }
        Expression condition = f.get("condition") == null
                ? null
                : FlowSteps.at(
                        p + ".for.condition",
                        () -> Expression.compile(FlowSteps.text(f.get("condition"), p + ".for.condition")));
        Template key = w.get("key") == null
                ? null
                : FlowSteps.at(p + ".key", () -> Template.compile(FlowSteps.text(w.get("key"), p + ".key")));
        if (w.get("timeout") == null) {
            throw new RuleException(p, "a wait needs a 'timeout': a flow must not wait forever");
        }
        long timeout = FlowSteps.duration(w.get("timeout"), p + ".timeout");
        FlowSteps.outcomes(place.next(), at + ".next", Set.of("event", "timeout"));
        return new WaitStep(place, new CompiledFlow.Trigger(source, type, condition), key, timeout);
    }

    @Override
    public boolean run(FlowRun runner, FlowThread t) {
        t.setPhase(FlowPhase.WAITING);
        t.setDueAt(runner.now + timeoutMs);
        runner.transition(
                TransitionKind.WAITING,
                t,
                id(),
                "for " + (waitFor.source() == null ? "any source" : waitFor.source()) + " / "
                        + (waitFor.type() == null ? "any type" : waitFor.type()) + " until "
                        + Instant.ofEpochMilli(t.getDueAt()));
        return false;
    }
}
