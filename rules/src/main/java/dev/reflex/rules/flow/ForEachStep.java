package dev.reflex.rules.flow;

import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.reflex.rules.expr.Expression;
import dev.reflex.schemas.FlowThread;
import dev.reflex.schemas.TransitionKind;

/**
 * {@code forEach}: runs its steps (scope: the step's id) once per item of the list {@code items} evaluates to, one after
 * the other, with {@code item} and {@code loop.index} set; done after the last (or at once for none).
 */
public record ForEachStep(Place place, Expression items) implements Step {
    private static final ObjectMapper JSON = new ObjectMapper();

    static ForEachStep read(Place place, Map<String, Object> s, String at, StepKinds.Compiler compiler) {
        String p = at + ".forEach";
        Map<String, Object> f = FlowSteps.map(s.get("forEach"), p, Set.of("items", "steps"), true);
        Expression items =
                FlowSteps.at(p + ".items", () -> Expression.compile(FlowSteps.text(f.get("items"), p + ".items")));
        compiler.scope(f.get("steps"), p + ".steps", place.id());
        FlowSteps.outcomes(place.next(), at + ".next", Set.of("done"));
        return new ForEachStep(place, items);
    }

    /** The scope of the steps run per item. */
    String body() {
        return id();
    }

    @Override
    public boolean run(FlowRun runner, FlowThread t) {
        Object value = items.evaluate(runner.vars(t));
        if (!(value instanceof List<?> list)) {
            throw new IllegalStateException("items evaluated to " + (value == null ? "null" : value) + ", not a list");
        }
        runner.transition(TransitionKind.STEP_STARTED, t, id(), list.size() + " item(s)");
        if (list.isEmpty()) {
            return runner.proceed(t, this, "done");
        }
        try {
            t.getItems().put(id(), JSON.writeValueAsString(list));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the items cannot be kept as JSON");
        }
        t.getLoops().put(id(), 0);
        t.setStep(runner.flow.first(body()));
        return true;
    }

    /** After an iteration: on to the next item (true), or done with the last (the thread moves on by outcome done). */
    boolean nextItem(FlowRun runner, FlowThread t) {
        int index = t.getLoops().get(id()) + 1;
        List<?> list = FlowVariables.list(t.getItems().get(id()));
        if (index < list.size()) {
            t.getLoops().put(id(), index);
            t.setStep(runner.flow.first(body()));
            return true;
        }
        t.getLoops().remove(id());
        t.getItems().remove(id());
        t.setStep(id());
        return runner.proceed(t, this, "done");
    }
}
