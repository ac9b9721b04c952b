package dev.reflex.rules;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.reflex.schemas.RegisterOpType;
import dev.reflex.schemas.Rule;
import dev.reflex.schemas.RuleTrigger;

/**
 * A flow definition, checked and compiled: its steps by id, each in a scope (the main list, a parallel branch, a
 * forEach body), with where each outcome goes. Step ids are unique across the flow; {@code next} targets a step of the
 * same list, {@code end} (the instance ends) or {@code fail} (it fails). Past the last step of a list, a branch joins,
 * an iteration moves to the next item, and the main list ends the instance.
 */
public final class CompiledFlow {
    public enum Kind { DO, WAIT, SET, SWITCH, PARALLEL, FOR_EACH }

    public enum OnRunning { IGNORE, REPLACE, QUEUE }

    /** The events a wait step (or the start) listens to. */
    record Trigger(String source, String type, Expression condition) {
        boolean fits(dev.reflex.schemas.Event event) {
            return (source == null || source.equals(event.getSource())) && (type == null || type.equals(event.getType()));
        }
    }

    record Retry(int attempts, long backoffMs, double factor, long maxMs) {
        long delay(int attempt) {
            double delay = backoffMs * Math.pow(factor, attempt);
            return (long) Math.min(delay, maxMs);
        }
    }

    record Case(Expression condition, String next) {
    }

    /** A context value to set: a template rendered to text, or a literal list or mapping kept as JSON. */
    record ContextValue(Template template, String json) {
    }

    /** One step; the fields of its kind are set, the others null. */
    record Step(String id, Kind kind, String scope, Map<String, String> next, String following,
                String system, String action, Template target, Map<String, Template> params, Retry retry, long timeoutMs,
                Trigger waitFor, Template waitKey,
                Map<String, ContextValue> setContext, List<CompiledRule.CompiledRegisterOp> registers,
                List<Case> cases,
                List<String> branches, int join,
                Expression items, String body) {
        /** Where {@code outcome} leads: its {@code next}, else the step after this one in its scope (null: the scope ends). */
        String target(String outcome) {
            String to = next.get(outcome);
            if (to == null) {
                to = next.get("*");
            }
            return to != null ? to : following;
        }
    }

    public static final String MAIN = "main";
    public static final String END = "end";
    public static final String FAIL = "fail";
    static final long DEFAULT_DO_TIMEOUT_MS = 3_600_000;
    static final int DEFAULT_RUNNING = 10_000;
    static final int DEFAULT_TRANSITIONS = 100;
    static final int DEFAULT_CONTEXT_BYTES = 64 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> FLOW_KEYS = Set.of("kind", "id", "description", "enabled", "start", "context", "steps", "limits");
    private static final Set<String> START_KEYS = Set.of("when", "key", "onRunning");
    private static final Set<String> WHEN_KEYS = Set.of("source", "type", "condition", "event");
    private static final Set<String> LIMIT_KEYS = Set.of("running", "transitions", "contextBytes");
    private static final Set<String> KINDS = Set.of("do", "wait", "set", "switch", "parallel", "forEach");

    final String id;
    final String version;
    final Template key;
    final OnRunning onRunning;
    final Map<String, ContextValue> context;
    final Map<String, Step> steps;
    final Map<String, List<String>> scopes;
    final int maxRunning;
    final int maxTransitions;
    final int maxContextBytes;

    private CompiledFlow(String id, String version, Template key, OnRunning onRunning, Map<String, ContextValue> context,
                         Map<String, Step> steps, Map<String, List<String>> scopes, int[] limits) {
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
    static RuleTrigger startTrigger(Map<String, Object> flow, Systems systems) {
        Map<String, Object> start = map(flow.get("start"), "start", START_KEYS, true);
        Map<String, Object> when = map(start.get("when"), "start.when", WHEN_KEYS, true);
        String source = text(when.get("source"), "start.when.source");
        String type = text(when.get("type"), "start.when.type");
        String condition = text(when.get("condition"), "start.when.condition");
        if (when.get("event") != null) {
            if (source != null || type != null) {
                throw new RuleException("start.when.event", "use either 'event' or 'source'/'type', not both");
            }
            String name = text(when.get("event"), "start.when.event");
            Systems.NamedEvent named = systems.event(name);
            if (named == null) {
                throw new RuleException("start.when.event", "unknown event '" + name + "'");
            }
            source = named.source();
            type = named.type();
            if (named.condition() != null) {
                condition = condition == null ? named.condition() : "(" + named.condition() + ") && (" + condition + ")";
            }
        }
        return RuleTrigger.newBuilder().setSource(source).setType(type).setCondition(condition).build();
    }

    /** Compiles the flow a rule record carries; a {@link RuleException} names the field at fault. */
    @SuppressWarnings("unchecked")
    static CompiledFlow compile(Rule rule) {
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
                throw new RuleException(k, "unknown field '" + k + "' in a flow; expected one of " + String.join(", ", sorted(FLOW_KEYS)));
            }
        }
        if (!"flow".equals(flow.get("kind"))) {
            throw new RuleException("kind", "a flow document says 'kind: flow'");
        }
        Map<String, Object> start = map(flow.get("start"), "start", START_KEYS, true);
        Object keyText = start.get("key");
        Template key = keyText == null ? null : at("start.key", () -> Template.compile(text(keyText, "start.key")));
        OnRunning onRunning = OnRunning.IGNORE;
        if (start.get("onRunning") != null) {
            String value = text(start.get("onRunning"), "start.onRunning");
            try {
                onRunning = OnRunning.valueOf(value.toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new RuleException("start.onRunning", "onRunning is ignore, replace or queue, not '" + value + "'");
            }
        }
        Map<String, ContextValue> context = contextValues(flow.get("context"), "context");
        int[] limits = limits(flow.get("limits"));
        Map<String, Step> steps = new LinkedHashMap<>();
        Map<String, List<String>> scopes = new LinkedHashMap<>();
        StepCompiler compiler = new StepCompiler(steps, scopes);
        compiler.scope(flow.get("steps"), "steps", MAIN);
        compiler.checkTargets();
        return new CompiledFlow(id, version, key, onRunning, context, Map.copyOf(steps), Map.copyOf(scopes), limits);
    }

    /** Compiles the steps of each scope, then checks that every {@code next} leads somewhere in its own scope. */
    private static final class StepCompiler {
        private final Map<String, Step> steps;
        private final Map<String, List<String>> scopes;
        private final Map<String, String> paths = new LinkedHashMap<>();

        StepCompiler(Map<String, Step> steps, Map<String, List<String>> scopes) {
            this.steps = steps;
            this.scopes = scopes;
        }

        void scope(Object list, String path, String scope) {
            if (!(list instanceof List<?> items) || items.isEmpty()) {
                throw new RuleException(path, "'" + path + "' must be a non-empty list of steps");
            }
            List<String> ids = new ArrayList<>();
            List<Map<String, Object>> raw = new ArrayList<>();
            for (int i = 0; i < items.size(); i++) {
                String at = path + "[" + i + "]";
                Map<String, Object> step = map(items.get(i), at, null, true);
                String id = text(step.get("id"), at + ".id");
                if (id == null || !dev.reflex.schemas.TopicNames.isValidPart(id) || id.equals(END) || id.equals(FAIL)) {
                    throw new RuleException(at + ".id", "each step needs an 'id' of letters, digits, '.', '_' or '-' (not end or fail)");
                }
                if (paths.putIfAbsent(id, at) != null) {
                    throw new RuleException(at + ".id", "step id '" + id + "' is used twice (also at " + paths.get(id) + ")");
                }
                ids.add(id);
                raw.add(step);
            }
            scopes.put(scope, List.copyOf(ids));
            for (int i = 0; i < raw.size(); i++) {
                steps.put(ids.get(i), step(raw.get(i), path + "[" + i + "]", scope, i + 1 < ids.size() ? ids.get(i + 1) : null));
            }
        }

        private Step step(Map<String, Object> s, String at, String scope, String following) {
            List<String> kinds = s.keySet().stream().filter(KINDS::contains).toList();
            if (kinds.size() != 1) {
                throw new RuleException(at, "a step is exactly one of do, wait, set, switch, parallel, forEach"
                    + (kinds.isEmpty() ? "" : "; this one has " + String.join(" and ", kinds)));
            }
            String kind = kinds.get(0);
            Set<String> allowed = new HashSet<>(Set.of("id", "next", kind));
            if (kind.equals("do")) {
                allowed.addAll(Set.of("retry", "timeout"));
            }
            for (String k : s.keySet()) {
                if (!allowed.contains(k)) {
                    throw new RuleException(at + "." + k, "unknown field '" + k + "' in a " + kind + " step; expected one of "
                        + String.join(", ", sorted(allowed)));
                }
            }
            String id = (String) s.get("id");
            String p = at + "." + kind;
            Object body = s.get(kind);
            Map<String, String> next = next(s.get("next"), at + ".next", kind);
            return switch (kind) {
                case "do" -> doStep(id, scope, next, following, map(body, p, Set.of("system", "action", "target", "params"), true), s, at);
                case "wait" -> waitStep(id, scope, next, following, map(body, p, Set.of("for", "key", "timeout"), true), p);
                case "set" -> setStep(id, scope, next, following, map(body, p, Set.of("context", "registers"), true), p);
                case "switch" -> switchStep(id, scope, next, following, body, p);
                case "parallel" -> parallelStep(id, scope, next, following, map(body, p, Set.of("branches", "join"), true), p);
                default -> forEachStep(id, scope, next, following, map(body, p, Set.of("items", "steps"), true), p);
            };
        }

        private Step doStep(String id, String scope, Map<String, String> next, String following, Map<String, Object> d,
                            Map<String, Object> s, String at) {
            String p = at + ".do";
            String system = text(d.get("system"), p + ".system");
            if (!dev.reflex.schemas.TopicNames.isValidPart(system)) {
                throw new RuleException(p + ".system", "a do step needs a 'system' of letters, digits, '.', '_' or '-'");
            }
            String action = text(d.get("action"), p + ".action");
            if (action == null || action.isBlank()) {
                throw new RuleException(p + ".action", "a do step needs an 'action'");
            }
            Template target = d.get("target") == null ? null : at(p + ".target", () -> Template.compile(text(d.get("target"), p + ".target")));
            Map<String, Template> params = new LinkedHashMap<>();
            map(d.get("params"), p + ".params", null, false).forEach((k, v) ->
                params.put(k, at(p + ".params." + k, () -> Template.compile(text(v, p + ".params." + k)))));
            Retry retry = null;
            if (s.get("retry") != null) {
                Map<String, Object> r = map(s.get("retry"), at + ".retry", Set.of("attempts", "backoff", "factor", "max"), true);
                int attempts = integer(r.get("attempts"), at + ".retry.attempts", 1, 100);
                long backoff = r.get("backoff") == null ? 1_000 : Durations.parse(text(r.get("backoff"), at + ".retry.backoff"), at + ".retry.backoff");
                double factor = r.get("factor") == null ? 2 : number(r.get("factor"), at + ".retry.factor");
                long max = r.get("max") == null ? Math.max(backoff, 300_000) : Durations.parse(text(r.get("max"), at + ".retry.max"), at + ".retry.max");
                retry = new Retry(attempts, backoff, factor, max);
            }
            long timeout = s.get("timeout") == null ? DEFAULT_DO_TIMEOUT_MS : Durations.parse(text(s.get("timeout"), at + ".timeout"), at + ".timeout");
            outcomes(next, at + ".next", Set.of("succeeded", "failed", "timeout"));
            return new Step(id, Kind.DO, scope, next, following, system, action, target, Map.copyOf(params), retry, timeout,
                null, null, null, null, null, null, 0, null, null);
        }

        private Step waitStep(String id, String scope, Map<String, String> next, String following, Map<String, Object> w, String p) {
            Map<String, Object> f = map(w.get("for"), p + ".for", Set.of("source", "type", "condition"), true);
            String source = text(f.get("source"), p + ".for.source");
            String type = text(f.get("type"), p + ".for.type");
            if (source == null && type == null) {
                throw new RuleException(p + ".for", "a wait needs a source and/or type: which event does it wait for?");
            }
            Expression condition = f.get("condition") == null ? null
                : at(p + ".for.condition", () -> Expression.compile(text(f.get("condition"), p + ".for.condition")));
            Template key = w.get("key") == null ? null : at(p + ".key", () -> Template.compile(text(w.get("key"), p + ".key")));
            if (w.get("timeout") == null) {
                throw new RuleException(p, "a wait needs a 'timeout': a flow must not wait forever");
            }
            long timeout = Durations.parse(text(w.get("timeout"), p + ".timeout"), p + ".timeout");
            outcomes(next, p.replace(".wait", ".next"), Set.of("event", "timeout"));
            return new Step(id, Kind.WAIT, scope, next, following, null, null, null, null, null, timeout,
                new Trigger(source, type, condition), key, null, null, null, null, 0, null, null);
        }

        private Step setStep(String id, String scope, Map<String, String> next, String following, Map<String, Object> s, String p) {
            Map<String, ContextValue> context = contextValues(s.get("context"), p + ".context");
            List<CompiledRule.CompiledRegisterOp> registers = new ArrayList<>();
            if (s.get("registers") != null) {
                if (!(s.get("registers") instanceof List<?> ops)) {
                    throw new RuleException(p + ".registers", "'registers' is a list of set, incr and delete operations");
                }
                for (int i = 0; i < ops.size(); i++) {
                    registers.add(registerOp(map(ops.get(i), p + ".registers[" + i + "]", Set.of("set", "value", "ttl", "incr", "by", "delete"), true),
                        p + ".registers[" + i + "]"));
                }
            }
            if (context.isEmpty() && registers.isEmpty()) {
                throw new RuleException(p, "a set step sets context values and/or registers");
            }
            outcomes(next, p.replace(".set", ".next"), Set.of("done"));
            return new Step(id, Kind.SET, scope, next, following, null, null, null, null, null, 0, null, null,
                context, List.copyOf(registers), null, null, 0, null, null);
        }

        private Step switchStep(String id, String scope, Map<String, String> next, String following, Object body, String p) {
            if (!(body instanceof List<?> items) || items.isEmpty()) {
                throw new RuleException(p, "switch is a list of {if: CONDITION, next: STEP}, tried in order");
            }
            List<Case> cases = new ArrayList<>();
            for (int i = 0; i < items.size(); i++) {
                String at = p + "[" + i + "]";
                Map<String, Object> c = map(items.get(i), at, Set.of("if", "next"), true);
                Expression condition = at(at + ".if", () -> Expression.compile(text(c.get("if"), at + ".if")));
                String to = text(c.get("next"), at + ".next");
                if (to == null) {
                    throw new RuleException(at, "each case needs 'if' and 'next'");
                }
                cases.add(new Case(condition, to));
            }
            outcomes(next, p.replace(".switch", ".next"), Set.of("done"));
            return new Step(id, Kind.SWITCH, scope, next, following, null, null, null, null, null, 0, null, null, null, null,
                List.copyOf(cases), null, 0, null, null);
        }

        private Step parallelStep(String id, String scope, Map<String, String> next, String following, Map<String, Object> par, String p) {
            if (!(par.get("branches") instanceof List<?> branches) || branches.size() < 2) {
                throw new RuleException(p + ".branches", "a parallel step needs at least two branches, each a list of steps");
            }
            List<String> scopesOfBranches = new ArrayList<>();
            for (int i = 0; i < branches.size(); i++) {
                String branch = id + "[" + i + "]";
                scope(branches.get(i), p + ".branches[" + i + "]", branch);
                scopesOfBranches.add(branch);
            }
            int join = 0;
            Object joinValue = par.get("join");
            if (joinValue != null && !"all".equals(joinValue)) {
                join = "any".equals(joinValue) ? 1 : integer(joinValue, p + ".join", 1, branches.size());
            }
            outcomes(next, p.replace(".parallel", ".next"), Set.of("done"));
            return new Step(id, Kind.PARALLEL, scope, next, following, null, null, null, null, null, 0, null, null, null, null, null,
                List.copyOf(scopesOfBranches), join, null, null);
        }

        private Step forEachStep(String id, String scope, Map<String, String> next, String following, Map<String, Object> f, String p) {
            Expression items = at(p + ".items", () -> Expression.compile(text(f.get("items"), p + ".items")));
            scope(f.get("steps"), p + ".steps", id);
            outcomes(next, p.replace(".forEach", ".next"), Set.of("done"));
            return new Step(id, Kind.FOR_EACH, scope, next, following, null, null, null, null, null, 0, null, null, null, null, null,
                null, 0, items, id);
        }

        /** Every next target and switch case leads to a step of its own scope, end or fail. */
        void checkTargets() {
            for (Map.Entry<String, String> path : paths.entrySet()) {
                Step step = steps.get(path.getKey());
                List<String> scope = scopes.get(step.scope());
                List<String> targets = new ArrayList<>(step.next().values());
                if (step.cases() != null) {
                    step.cases().forEach(c -> targets.add(c.next()));
                }
                for (String target : targets) {
                    if (!target.equals(END) && !target.equals(FAIL) && !scope.contains(target)) {
                        throw new RuleException(path.getValue() + ".next", "'" + target + "' is not a step of the same list"
                            + " (steps there: " + String.join(", ", scope) + "), end or fail");
                    }
                }
            }
        }
    }

    private static Map<String, String> next(Object value, String at, String kind) {
        Map<String, String> next = new LinkedHashMap<>();
        if (value == null) {
            return next;
        }
        if (value instanceof String target) {
            next.put("*", target);
            return next;
        }
        map(value, at, null, true).forEach((outcome, target) -> next.put(outcome, text(target, at + "." + outcome)));
        return next;
    }

    private static void outcomes(Map<String, String> next, String at, Set<String> allowed) {
        for (String outcome : next.keySet()) {
            if (!outcome.equals("*") && !allowed.contains(outcome)) {
                throw new RuleException(at, "'" + outcome + "' is not an outcome of this step; it has " + String.join(", ", sorted(allowed)));
            }
        }
    }

    private static CompiledRule.CompiledRegisterOp registerOp(Map<String, Object> op, String at) {
        String kind = op.containsKey("set") ? "set" : op.containsKey("incr") ? "incr" : op.containsKey("delete") ? "delete" : null;
        if (kind == null) {
            throw new RuleException(at, "a register operation is set (with value), incr (with optional by) or delete");
        }
        Template name = at(at, () -> Template.compile(text(op.get(kind), at)));
        Object valueText = kind.equals("set") ? op.get("value") : op.get("by");
        if (kind.equals("set") && valueText == null) {
            throw new RuleException(at + ".value", "'set' needs a value");
        }
        Template value = valueText == null ? null : at(at + ".value", () -> Template.compile(text(valueText, at + ".value")));
        Long ttl = op.get("ttl") == null ? null : Durations.parse(text(op.get("ttl"), at + ".ttl"), at + ".ttl");
        return new CompiledRule.CompiledRegisterOp(RegisterOpType.valueOf(kind.toUpperCase(java.util.Locale.ROOT)), name, value, ttl);
    }

    private static Map<String, ContextValue> contextValues(Object value, String at) {
        Map<String, ContextValue> values = new LinkedHashMap<>();
        map(value, at, null, false).forEach((name, v) -> {
            if (name.equals("key")) {
                throw new RuleException(at + ".key", "context.key is the instance's key and cannot be set");
            }
            if (v instanceof String text) {
                values.put(name, new ContextValue(at(at + "." + name, () -> Template.compile(text)), null));
            } else {
                try {
                    values.put(name, new ContextValue(null, JSON.writeValueAsString(v)));
                } catch (IOException e) {
                    throw new RuleException(at + "." + name, "cannot be kept as JSON");
                }
            }
        });
        return values;
    }

    private static int[] limits(Object value) {
        Map<String, Object> l = map(value, "limits", LIMIT_KEYS, false);
        return new int[] {
            l.get("running") == null ? DEFAULT_RUNNING : integer(l.get("running"), "limits.running", 1, 1_000_000),
            l.get("transitions") == null ? DEFAULT_TRANSITIONS : integer(l.get("transitions"), "limits.transitions", 1, 10_000),
            l.get("contextBytes") == null ? DEFAULT_CONTEXT_BYTES : integer(l.get("contextBytes"), "limits.contextBytes", 1, 1_048_576)};
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value, String at, Set<String> allowed, boolean required) {
        if (value == null) {
            if (required) {
                throw new RuleException(at, "'" + at + "' is missing");
            }
            return Map.of();
        }
        if (!(value instanceof Map<?, ?> m)) {
            throw new RuleException(at, "'" + at + "' must be a mapping of fields");
        }
        if (allowed != null) {
            for (Object k : m.keySet()) {
                if (!allowed.contains(k)) {
                    throw new RuleException(at + "." + k, "unknown field '" + k + "' in '" + at + "'; expected one of "
                        + String.join(", ", sorted(allowed)));
                }
            }
        }
        return (Map<String, Object>) m;
    }

    private static String text(Object value, String at) {
        if (value == null) {
            return null;
        }
        if (value instanceof Map || value instanceof List) {
            throw new RuleException(at, "'" + at + "' must be a single value, not a list or mapping");
        }
        return value.toString();
    }

    private static int integer(Object value, String at, int min, int max) {
        try {
            int n = Integer.parseInt(text(value, at).strip());
            if (n < min || n > max) {
                throw new RuleException(at, "must be from " + min + " to " + max + ", not " + n);
            }
            return n;
        } catch (NumberFormatException | NullPointerException e) {
            throw new RuleException(at, "'" + at + "' must be a whole number, not '" + value + "'");
        }
    }

    private static double number(Object value, String at) {
        try {
            double n = Double.parseDouble(text(value, at).strip());
            if (n < 1 || n > 10) {
                throw new RuleException(at, "must be from 1 to 10, not " + n);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new RuleException(at, "'" + at + "' must be a number, not '" + value + "'");
        }
    }

    private static <T> T at(String field, java.util.function.Supplier<T> compile) {
        try {
            return compile.get();
        } catch (RuleException e) {
            throw e.at(field);
        }
    }

    private static List<String> sorted(Set<String> set) {
        return set.stream().sorted().toList();
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

    /** The event types the flow's wait steps listen to, as (source, type) pairs (either may be null: any). */
    public List<String[]> waitTriggers() {
        List<String[]> triggers = new ArrayList<>();
        for (Step step : steps.values()) {
            if (step.kind() == Kind.WAIT) {
                triggers.add(new String[] {step.waitFor().source(), step.waitFor().type()});
            }
        }
        return triggers;
    }

    /** The systems the flow's do steps act on. */
    public java.util.SortedSet<String> systems() {
        java.util.SortedSet<String> systems = new java.util.TreeSet<>();
        steps.values().stream().filter(s -> s.kind() == Kind.DO).forEach(s -> systems.add(s.system()));
        return systems;
    }

    /** Whether the flow has do steps, whose results come back as events. */
    public boolean acts() {
        return steps.values().stream().anyMatch(s -> s.kind() == Kind.DO);
    }
}
