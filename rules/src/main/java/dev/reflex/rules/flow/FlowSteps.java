package dev.reflex.rules.flow;

import static dev.reflex.rules.flow.CompiledFlow.DEFAULT_CONTEXT_BYTES;
import static dev.reflex.rules.flow.CompiledFlow.DEFAULT_DO_TIMEOUT_MS;
import static dev.reflex.rules.flow.CompiledFlow.DEFAULT_RUNNING;
import static dev.reflex.rules.flow.CompiledFlow.DEFAULT_TRANSITIONS;
import static dev.reflex.rules.flow.CompiledFlow.END;
import static dev.reflex.rules.flow.CompiledFlow.FAIL;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.reflex.rules.CompiledRule;
import dev.reflex.rules.expr.Durations;
import dev.reflex.rules.expr.Expression;
import dev.reflex.rules.expr.RuleException;
import dev.reflex.rules.expr.Template;
import dev.reflex.rules.flow.CompiledFlow.Case;
import dev.reflex.rules.flow.CompiledFlow.ContextValue;
import dev.reflex.rules.flow.CompiledFlow.Kind;
import dev.reflex.rules.flow.CompiledFlow.Retry;
import dev.reflex.rules.flow.CompiledFlow.Step;
import dev.reflex.rules.flow.CompiledFlow.Trigger;
import dev.reflex.schemas.RegisterOpType;

/**
 * How a flow definition's parts are checked and compiled: its steps (each kind), their {@code next} targets, context
 * values, register operations and limits. Every problem is a {@link RuleException} naming the field.
 */
final class FlowSteps {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> LIMIT_KEYS = Set.of("running", "transitions", "contextBytes");
    private static final Set<String> KINDS = Set.of("do", "wait", "set", "switch", "parallel", "forEach");

    private FlowSteps() {
    }

    /** Compiles the steps of each scope, then checks that every {@code next} leads somewhere in its own scope. */
    static final class StepCompiler {
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

    static Map<String, String> next(Object value, String at, String kind) {
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

    static void outcomes(Map<String, String> next, String at, Set<String> allowed) {
        for (String outcome : next.keySet()) {
            if (!outcome.equals("*") && !allowed.contains(outcome)) {
                throw new RuleException(at, "'" + outcome + "' is not an outcome of this step; it has " + String.join(", ", sorted(allowed)));
            }
        }
    }

    static CompiledRule.CompiledRegisterOp registerOp(Map<String, Object> op, String at) {
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

    static Map<String, ContextValue> contextValues(Object value, String at) {
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

    static int[] limits(Object value) {
        Map<String, Object> l = map(value, "limits", LIMIT_KEYS, false);
        return new int[] {
            l.get("running") == null ? DEFAULT_RUNNING : integer(l.get("running"), "limits.running", 1, 1_000_000),
            l.get("transitions") == null ? DEFAULT_TRANSITIONS : integer(l.get("transitions"), "limits.transitions", 1, 10_000),
            l.get("contextBytes") == null ? DEFAULT_CONTEXT_BYTES : integer(l.get("contextBytes"), "limits.contextBytes", 1, 1_048_576)};
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object value, String at, Set<String> allowed, boolean required) {
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

    static String text(Object value, String at) {
        if (value == null) {
            return null;
        }
        if (value instanceof Map || value instanceof List) {
            throw new RuleException(at, "'" + at + "' must be a single value, not a list or mapping");
        }
        return value.toString();
    }

    static int integer(Object value, String at, int min, int max) {
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

    static double number(Object value, String at) {
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

    static <T> T at(String field, java.util.function.Supplier<T> compile) {
        try {
            return compile.get();
        } catch (RuleException e) {
            throw e.at(field);
        }
    }

    static List<String> sorted(Set<String> set) {
        return set.stream().sorted().toList();
    }

}
