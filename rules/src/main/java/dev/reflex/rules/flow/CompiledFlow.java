package dev.reflex.rules.flow;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.reflex.rules.expr.Expression;
import dev.reflex.rules.expr.RuleException;
import dev.reflex.rules.expr.Template;
import dev.reflex.rules.systems.Systems;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.Rule;
import dev.reflex.schemas.RuleTrigger;

/**
 * A flow definition, checked and compiled: its steps by id, each in a scope (the main list, a parallel branch, a
 * forEach body), with where each outcome goes. Step ids are unique across the flow; {@code next} targets a step of the
 * same list, {@code end} (the instance ends) or {@code fail} (it fails). Past the last step of a list, a branch joins,
 * an iteration moves to the next item, and the main list ends the instance.
 */
public final class CompiledFlow {
    public enum OnRunning {
        IGNORE,
        REPLACE,
        QUEUE
    }

    /** The events a wait step (or the start) listens to. */
    public record Trigger(String source, String type, Expression condition) {
        public boolean fits(Event event) {
            return (source == null || source.equals(event.getSource()))
                    && (type == null || type.equals(event.getType()));
        }
    }

    /** A context value to set: a template rendered to text, or a literal list or mapping kept as JSON. */
    record ContextValue(Template template, String json) {}

    public static final String MAIN = "main";
    public static final String END = "end";
    public static final String FAIL = "fail";
    static final int DEFAULT_RUNNING = 10_000;
    static final int DEFAULT_TRANSITIONS = 100;
    static final int DEFAULT_CONTEXT_BYTES = 64 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> FLOW_KEYS =
            Set.of("kind", "id", "description", "enabled", "start", "context", "steps", "limits");
    private static final Set<String> START_KEYS = Set.of("when", "key", "onRunning");
    private static final Set<String> WHEN_KEYS = Set.of("source", "type", "condition", "event");

    final String id;
    final String version;
    public final Template key;
    final OnRunning onRunning;
    final Map<String, ContextValue> context;
    final Map<String, Step> steps;
    final Map<String, List<String>> scopes;
    final int maxRunning;
    final int maxTransitions;
    final int maxContextBytes;

    private CompiledFlow(
            String id,
            String version,
            Template key,
            OnRunning onRunning,
            Map<String, ContextValue> context,
            Map<String, Step> steps,
            Map<String, List<String>> scopes,
            int[] limits) {
        this.id = id;
        this.version = version;
        this.key = key;
        this.onRunning = onRunning;
        this.context = context;
        this.steps = steps;
        this.scopes = scopes;
        this.maxRunning = limits[0];
        this.maxTransitions = limits[1];
        this.maxContextBytes = limits[2];
    }

    /** The start trigger of a flow document as a rule's {@code when}, resolving a named event against {@code systems}. */
    public static RuleTrigger startTrigger(Map<String, Object> flow, Systems systems) {
        Map<String, Object> start = FlowSteps.map(flow.get("start"), "start", START_KEYS, true);
        Map<String, Object> when = FlowSteps.map(start.get("when"), "start.when", WHEN_KEYS, true);
        String source = FlowSteps.text(when.get("source"), "start.when.source");
        String type = FlowSteps.text(when.get("type"), "start.when.type");
        String condition = FlowSteps.text(when.get("condition"), "start.when.condition");
        if (when.get("event") != null) {
            if (source != null || type != null) {
                throw new RuleException("start.when.event", "use either 'event' or 'source'/'type', not both");
            }
            String name = FlowSteps.text(when.get("event"), "start.when.event");
            Systems.NamedEvent named = systems.event(name);
            if (named == null) {
                throw new RuleException("start.when.event", systems.unknownEvent(name));
            }
            return named.trigger(condition);
        }
        return RuleTrigger.newBuilder()
                .setSource(source)
                .setType(type)
                .setCondition(condition)
                .build();
    }

    /** Compiles the flow a rule record carries; a {@link RuleException} names the field at fault. */
    @SuppressWarnings("unchecked")
    public static CompiledFlow compile(Rule rule) {
        Map<String, Object> flow;
        try {
            flow = JSON.readValue(rule.getFlow(), LinkedHashMap.class);
        } catch (IOException e) {
            throw new RuleException("flow", "the flow definition is not JSON: " + e.getMessage());
        }
        return compile(flow, rule.getId(), rule.getVersion());
    }

    static CompiledFlow compile(Map<String, Object> flow, String id, String version) {
        for (String k : flow.keySet()) {
            if (!FLOW_KEYS.contains(k)) {
                throw new RuleException(
                        k,
                        "unknown field '" + k + "' in a flow; expected one of "
                                + String.join(", ", FlowSteps.sorted(FLOW_KEYS)));
            }
        }
        if (!"flow".equals(flow.get("kind"))) {
            throw new RuleException("kind", "a flow document says 'kind: flow'");
        }
        Map<String, Object> start = FlowSteps.map(flow.get("start"), "start", START_KEYS, true);
        Object keyText = start.get("key");
        Template key = keyText == null
                ? null
                : FlowSteps.at("start.key", () -> Template.compile(FlowSteps.text(keyText, "start.key")));
        OnRunning onRunning = OnRunning.IGNORE;
        if (start.get("onRunning") != null) {
            String value = FlowSteps.text(start.get("onRunning"), "start.onRunning");
            try {
                onRunning = OnRunning.valueOf(value.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new RuleException(
                        "start.onRunning", "onRunning is ignore, replace or queue, not '" + value + "'");
            }
        }
        Map<String, ContextValue> context = FlowSteps.contextValues(flow.get("context"), "context");
        int[] limits = FlowSteps.limits(flow.get("limits"));
        Map<String, Step> steps = new LinkedHashMap<>();
        Map<String, List<String>> scopes = new LinkedHashMap<>();
        StepKinds.Compiler compiler = new StepKinds.Compiler(steps, scopes);
        compiler.scope(flow.get("steps"), "steps", MAIN);
        compiler.checkTargets();
        return new CompiledFlow(id, version, key, onRunning, context, Map.copyOf(steps), Map.copyOf(scopes), limits);
    }

    public String id() {
        return id;
    }

    public String version() {
        return version;
    }

    /** The first step of the flow. */
    String first(String scope) {
        return scopes.get(scope).get(0);
    }

    Step step(String id) {
        return steps.get(id);
    }

    /** The step whose steps {@code scope} holds: a forEach (scope: its id) or a parallel (a branch: {@code id[i]}). */
    Step owner(String scope) {
        return steps.get(scope.endsWith("]") ? scope.substring(0, scope.lastIndexOf('[')) : scope);
    }

    /** The flow's wait steps. */
    public List<WaitStep> waits() {
        return steps.values().stream()
                .filter(WaitStep.class::isInstance)
                .map(WaitStep.class::cast)
                .toList();
    }

    /** The event types the flow's wait steps listen to, as (source, type) pairs (either may be null: any). */
    public List<String[]> waitTriggers() {
        return waits().stream()
                .map(w -> new String[] {w.waitFor().source(), w.waitFor().type()})
                .toList();
    }

    private List<DoStep> doSteps() {
        return steps.values().stream()
                .filter(DoStep.class::isInstance)
                .map(DoStep.class::cast)
                .toList();
    }

    /** The systems the flow's do steps act on. */
    public SortedSet<String> systems() {
        SortedSet<String> systems = new TreeSet<>();
        doSteps().forEach(s -> systems.add(s.system()));
        return systems;
    }

    /** Whether the flow has do steps, whose results come back as events. */
    public boolean acts() {
        return !doSteps().isEmpty();
    }
}
