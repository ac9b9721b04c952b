package dev.reflex.rules.flow;

import static dev.reflex.rules.flow.CompiledFlow.DEFAULT_CONTEXT_BYTES;
import static dev.reflex.rules.flow.CompiledFlow.DEFAULT_RUNNING;
import static dev.reflex.rules.flow.CompiledFlow.DEFAULT_TRANSITIONS;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.reflex.rules.CompiledRule;
import dev.reflex.rules.expr.Durations;
import dev.reflex.rules.expr.RuleException;
import dev.reflex.rules.expr.Template;
import dev.reflex.rules.flow.CompiledFlow.ContextValue;
import dev.reflex.schemas.RegisterOpType;

/**
 * What the readers of a flow definition share: fields as maps, text, numbers and durations, {@code next} and its
 * outcomes, context values, register operations and limits. Every problem is a {@link RuleException} naming the field.
 */
final class FlowSteps {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> LIMIT_KEYS = Set.of("running", "transitions", "contextBytes");

    private FlowSteps() {}

    static Map<String, String> next(Object value, String at) {
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
                throw new RuleException(
                        at,
                        "'" + outcome + "' is not an outcome of this step; it has "
                                + String.join(", ", sorted(allowed)));
            }
        }
    }

    static CompiledRule.CompiledRegisterOp registerOp(Map<String, Object> op, String at) {
        String kind = op.containsKey("set")
                ? "set"
                : op.containsKey("incr") ? "incr" : op.containsKey("delete") ? "delete" : null;
        if (kind == null) {
            throw new RuleException(at, "a register operation is set (with value), incr (with optional by) or delete");
        }
        Template name = at(at, () -> Template.compile(text(op.get(kind), at)));
        Object valueText = kind.equals("set") ? op.get("value") : op.get("by");
        if (kind.equals("set") && valueText == null) {
            throw new RuleException(at + ".value", "'set' needs a value");
        }
        Template value =
                valueText == null ? null : at(at + ".value", () -> Template.compile(text(valueText, at + ".value")));
        Long ttl = op.get("ttl") == null ? null : Durations.parse(text(op.get("ttl"), at + ".ttl"), at + ".ttl");
        return new CompiledRule.CompiledRegisterOp(
                RegisterOpType.valueOf(kind.toUpperCase(Locale.ROOT)), name, value, ttl);
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
            l.get("transitions") == null
                    ? DEFAULT_TRANSITIONS
                    : integer(l.get("transitions"), "limits.transitions", 1, 10_000),
            l.get("contextBytes") == null
                    ? DEFAULT_CONTEXT_BYTES
                    : integer(l.get("contextBytes"), "limits.contextBytes", 1, 1_048_576)
        };
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
                    throw new RuleException(
                            at + "." + k,
                            "unknown field '" + k + "' in '" + at + "'; expected one of "
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

    static long duration(Object value, String at) {
        return Durations.parse(text(value, at), at);
    }

    static <T> T at(String field, Supplier<T> compile) {
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
