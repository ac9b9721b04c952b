package dev.reflex.rules;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;

import dev.reflex.rules.correlate.CompiledCorrelation;
import dev.reflex.rules.expr.Durations;
import dev.reflex.rules.expr.Expression;
import dev.reflex.rules.expr.RuleException;
import dev.reflex.rules.expr.Template;
import dev.reflex.rules.flow.CompiledFlow;
import dev.reflex.schemas.ActionTemplate;
import dev.reflex.schemas.RegisterOpType;
import dev.reflex.schemas.RegisterTemplate;
import dev.reflex.schemas.Rule;
import dev.reflex.schemas.TopicNames;

/** A rule whose condition and templates are compiled, once per version. Immutable and shared across threads. */
public final class CompiledRule implements IndexedRule {

    record CompiledAction(String system, String action, Template target, Map<String, Template> params) {}

    public record CompiledRegisterOp(RegisterOpType op, Template name, Template value, Long ttlMs) {}

    private final Rule rule;
    private final Expression condition;
    private final List<CompiledAction> actions;
    private final List<CompiledRegisterOp> registerOps;
    private final CompiledCorrelation correlation;
    private final CompiledFlow flow;

    private CompiledRule(
            Rule rule,
            Expression condition,
            List<CompiledAction> actions,
            List<CompiledRegisterOp> registerOps,
            CompiledCorrelation correlation,
            CompiledFlow flow) {
        this.rule = rule;
        this.condition = condition;
        this.actions = actions;
        this.registerOps = registerOps;
        this.correlation = correlation;
        this.flow = flow;
    }

    /** Checks and compiles {@code rule}; a {@link RuleException} names the field at fault. */
    public static CompiledRule compile(Rule rule) {
        if (!TopicNames.isValidPart(rule.getId())) {
            throw new RuleException(
                    "id",
                    "id '" + rule.getId()
                            + "' must be letters, digits, '.', '_' or '-' (at most 200), starting with a letter or digit");
        }
        Expression condition = null;
        String conditionText = rule.getWhen().getCondition();
        if (conditionText != null && !conditionText.isBlank()) {
            condition = compileAt("when.condition", () -> Expression.compile(conditionText));
        }
        List<CompiledAction> actions = new ArrayList<>();
        for (int i = 0; i < rule.getActions().size(); i++) {
            ActionTemplate a = rule.getActions().get(i);
            String at = "actions[" + i + "]";
            if (!TopicNames.isValidPart(a.getSystem())) {
                throw new RuleException(
                        at + ".system",
                        "system '" + a.getSystem()
                                + "' must be letters, digits, '.', '_' or '-', starting with a letter or digit");
            }
            if (a.getAction() == null || a.getAction().isBlank()) {
                throw new RuleException(at + ".action", "an action needs a name");
            }
            Template target =
                    a.getTarget() == null ? null : compileAt(at + ".target", () -> Template.compile(a.getTarget()));
            Map<String, Template> params = new TreeMap<>();
            for (Map.Entry<String, String> p : a.getParams().entrySet()) {
                params.put(p.getKey(), compileAt(at + ".params." + p.getKey(), () -> Template.compile(p.getValue())));
            }
            actions.add(new CompiledAction(a.getSystem(), a.getAction(), target, Map.copyOf(params)));
        }
        List<CompiledRegisterOp> ops = new ArrayList<>();
        for (int i = 0; i < rule.getRegisters().size(); i++) {
            RegisterTemplate r = rule.getRegisters().get(i);
            String at = "registers[" + i + "]";
            if (r.getName() == null || r.getName().isBlank()) {
                throw new RuleException(at, "a register operation needs a register name");
            }
            if (r.getOp() == RegisterOpType.SET && r.getValue() == null) {
                throw new RuleException(at + ".value", "'set' needs a value");
            }
            Template name = compileAt(at, () -> Template.compile(r.getName()));
            Template value =
                    r.getValue() == null ? null : compileAt(at + ".value", () -> Template.compile(r.getValue()));
            Long ttlMs = null;
            if (r.getTtl() != null) {
                if (r.getOp() != RegisterOpType.SET) {
                    throw new RuleException(at + ".ttl", "only 'set' takes a ttl");
                }
                ttlMs = Durations.parse(r.getTtl(), at + ".ttl");
            }
            ops.add(new CompiledRegisterOp(r.getOp(), name, value, ttlMs));
        }
        CompiledCorrelation correlation = null;
        CompiledFlow flow = null;
        if (rule.getFlow() != null) {
            if (rule.getCorrelate() != null
                    || !rule.getActions().isEmpty()
                    || !rule.getRegisters().isEmpty()) {
                throw new RuleException("flow", "a flow has steps, not then or correlate");
            }
            flow = CompiledFlow.compile(rule);
        } else {
            if (rule.getCorrelate() != null) {
                correlation = CompiledCorrelation.compile(rule);
            }
            refuseVariables(correlation != null, condition, actions, ops);
        }
        return new CompiledRule(rule, condition, List.copyOf(actions), List.copyOf(ops), correlation, flow);
    }

    private static final Set<String> FLOW_ONLY = Set.of("context", "result", "item", "loop");

    /** Outside a correlation rule or a flow, their variables do not exist: say so now rather than fail on every event. */
    private static void refuseVariables(
            boolean correlates, Expression condition, List<CompiledAction> actions, List<CompiledRegisterOp> ops) {
        refuse(correlates, "when.condition", condition == null ? Set.of() : condition.roots());
        for (int i = 0; i < actions.size(); i++) {
            CompiledAction a = actions.get(i);
            for (Map.Entry<String, Template> p : a.params().entrySet()) {
                refuse(
                        correlates,
                        "actions[" + i + "].params." + p.getKey(),
                        p.getValue().roots());
            }
            if (a.target() != null) {
                refuse(correlates, "actions[" + i + "].target", a.target().roots());
            }
        }
        for (int i = 0; i < ops.size(); i++) {
            refuse(correlates, "registers[" + i + "]", ops.get(i).name().roots());
            if (ops.get(i).value() != null) {
                refuse(
                        correlates,
                        "registers[" + i + "].value",
                        ops.get(i).value().roots());
            }
        }
    }

    private static void refuse(boolean correlates, String field, Set<String> roots) {
        if (!correlates && roots.contains("correlation")) {
            throw new RuleException(field, "reads correlation.*, which only a rule with 'correlate' has");
        }
        for (String root : roots) {
            if (FLOW_ONLY.contains(root)) {
                throw new RuleException(field, "reads '" + root + "', which only a flow has");
            }
        }
    }

    private static <T> T compileAt(String field, Supplier<T> compile) {
        try {
            return compile.get();
        } catch (RuleException e) {
            throw e.at(field);
        }
    }

    @Override
    public Rule rule() {
        return rule;
    }

    Expression condition() {
        return condition;
    }

    List<CompiledAction> actions() {
        return actions;
    }

    List<CompiledRegisterOp> registerOps() {
        return registerOps;
    }

    /** The compiled flow, or null for a rule. */
    public CompiledFlow flow() {
        return flow;
    }

    /** The compiled correlate block, or null for a rule that decides on each event alone. */
    public CompiledCorrelation correlation() {
        return correlation;
    }
}
