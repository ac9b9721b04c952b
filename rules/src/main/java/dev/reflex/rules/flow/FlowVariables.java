package dev.reflex.rules.flow;

import java.io.IOException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.reflex.rules.expr.EventView;
import dev.reflex.rules.expr.ExpressionGuard;
import dev.reflex.rules.expr.ReadOnlyViews;
import dev.reflex.rules.expr.RuleFunctions;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.FlowInstance;
import dev.reflex.schemas.FlowThread;

/** What a flow's conditions and templates read: event, registers, context (with key), result, item and loop. */
final class FlowVariables {
    private static final ObjectMapper JSON = new ObjectMapper();

    private FlowVariables() {}

    /** The variables of {@code t} (null: the instance's, outside any thread) on an input of {@code event} (null: a timer). */
    static Map<String, Object> of(
            CompiledFlow flow,
            FlowInstance instance,
            FlowThread t,
            Event event,
            Function<String, String> registers,
            long now) {
        Map<String, Object> vars = new HashMap<>(8);
        vars.put("event", event == null ? null : EventView.of(event));
        vars.put("registers", ReadOnlyViews.registers(registers));
        vars.put(ExpressionGuard.FUNCTIONS_VARIABLE, new RuleFunctions(now));
        Map<String, Object> context = new LinkedHashMap<>();
        instance.getContext().forEach((k, v) -> context.put(k, parse(v)));
        context.put("key", instance.getKey());
        vars.put("context", ReadOnlyViews.map(context));
        vars.put("result", t == null || t.getLastResult() == null ? null : parse(t.getLastResult()));
        String loop = t == null ? null : innermostLoop(flow, t);
        if (loop != null) {
            int index = t.getLoops().get(loop);
            vars.put(
                    "item",
                    ReadOnlyViews.json(
                            JSON.valueToTree(list(t.getItems().get(loop)).get(index))));
            vars.put("loop", ReadOnlyViews.map(Map.of("index", (Object) index)));
        } else {
            vars.put("item", null);
            vars.put("loop", null);
        }
        return vars;
    }

    /** The forEach whose body the thread's step is in, nearest first. */
    private static String innermostLoop(CompiledFlow flow, FlowThread t) {
        String scope = flow.step(t.getStep()).scope();
        while (!scope.equals(CompiledFlow.MAIN)) {
            Step owner = flow.owner(scope);
            if (owner instanceof ForEachStep && t.getLoops().containsKey(owner.id())) {
                return owner.id();
            }
            scope = owner.scope();
        }
        return null;
    }

    private static Object parse(String json) {
        try {
            return ReadOnlyViews.json(JSON.readTree(json));
        } catch (IOException e) {
            return json;
        }
    }

    static List<?> list(String json) {
        try {
            return JSON.readValue(json, List.class);
        } catch (IOException e) {
            return List.of();
        }
    }

    /** An event's data as JSON (empty when it has none or it is not JSON). */
    static JsonNode data(Event event) {
        try {
            return event.getData() == null ? JSON.createObjectNode() : JSON.readTree(event.getData());
        } catch (IOException e) {
            return JSON.createObjectNode();
        }
    }
}
