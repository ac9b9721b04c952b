package dev.reflex.rules;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

import dev.reflex.schemas.Action;
import dev.reflex.schemas.ActionIds;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.Outcome;
import dev.reflex.schemas.RegisterOp;
import dev.reflex.schemas.RuleOutcome;

/**
 * Evaluates an event against the rules that can match it. A rule that fails (an expression error, a template
 * that cannot render) yields an ERROR outcome and nothing else; the other rules are unaffected.
 */
public final class Evaluator {
    private Evaluator() {
    }

    /**
     * @param registers current register values by name (null when unset)
     * @param now the time stamped on actions
     */
    public static Evaluation evaluate(Event event, RuleIndex index, Function<String, String> registers, Instant now) {
        return evaluate(event, index, registers, now, Long.MAX_VALUE);
    }

    /**
     * As above; a rule whose evaluation takes longer than {@code slowMicros} gets an ERROR outcome, emits nothing and
     * is listed in {@link Evaluation#slowRules()} so the caller can quarantine it.
     */
    public static Evaluation evaluate(Event event, RuleIndex index, Function<String, String> registers, Instant now,
                                      long slowMicros) {
        return evaluate(event, index.candidates(event.getSource(), event.getType()), registers, now, slowMicros);
    }

    /** Evaluates {@code event} against exactly {@code candidates} (ordered by id), as replaying a recorded decision does. */
    public static Evaluation evaluate(Event event, List<IndexedRule> candidates, Function<String, String> registers, Instant now,
                                      long slowMicros) {
        List<RuleOutcome> outcomes = new ArrayList<>(candidates.size());
        List<Action> actions = new ArrayList<>();
        List<RegisterOp> ops = new ArrayList<>();
        List<Evaluation.SlowRule> slow = new ArrayList<>(0);
        if (candidates.isEmpty()) {
            return new Evaluation(outcomes, actions, ops, slow, Map.of(), 0);
        }
        long began = System.nanoTime();
        // every register read is recorded with the value seen, so a decision can be explained and replayed
        Map<String, String> read = new java.util.TreeMap<>();
        Function<String, String> recording = name -> {
            String value = registers.apply(name);
            read.putIfAbsent(name, value);
            return value;
        };
        Map<String, Object> variables = variables(event, recording, now);
        for (IndexedRule candidate : candidates) {
            if (candidate instanceof QuarantinedRule quarantined) {
                outcomes.add(outcome(candidate, Outcome.QUARANTINED, quarantined.reason()));
            } else if (!candidate.rule().getEnabled()) {
                outcomes.add(outcome(candidate, Outcome.DISABLED, null));
            } else {
                long started = System.nanoTime();
                int actionsBefore = actions.size();
                int opsBefore = ops.size();
                RuleOutcome outcome = apply((CompiledRule) candidate, event, variables, now, actions, ops);
                long micros = (System.nanoTime() - started) / 1_000;
                if (micros > slowMicros) {
                    // a slow rule emits nothing: take back what it appended
                    actions.subList(actionsBefore, actions.size()).clear();
                    ops.subList(opsBefore, ops.size()).clear();
                    slow.add(new Evaluation.SlowRule(candidate.rule(), micros));
                    outcomes.add(outcome(candidate, Outcome.ERROR, "took " + micros / 1_000 + " ms, over the budget of "
                        + slowMicros / 1_000 + " ms; quarantined"));
                } else {
                    outcomes.add(outcome);
                }
            }
        }
        return new Evaluation(outcomes, actions, ops, slow, read, (System.nanoTime() - began) / 1_000);
    }

    private static Map<String, Object> variables(Event event, Function<String, String> registers, Instant now) {
        Map<String, Object> variables = new HashMap<>(4);
        variables.put("event", EventView.of(event));
        variables.put("registers", ReadOnlyViews.registers(registers));
        variables.put(ExpressionGuard.FUNCTIONS_VARIABLE, new RuleFunctions(now.toEpochMilli()));
        return variables;
    }

    /**
     * Why {@code rule}'s condition was false for {@code event}: the part of the condition that failed and the values it
     * saw, e.g. {@code `event.data.severity == 'critical'` was false: event.data.severity = "warning"}. Empty when the
     * rule has no condition or the condition holds.
     */
    public static java.util.Optional<String> whyFalse(CompiledRule rule, Event event, Function<String, String> registers, Instant now) {
        if (rule.condition() == null) {
            return java.util.Optional.empty();
        }
        Map<String, Object> variables = variables(event, registers, now);
        Object result;
        try {
            result = rule.condition().evaluate(variables);
        } catch (RuntimeException e) {
            return java.util.Optional.of("the condition failed: " + Expression.firstLine(e.getMessage()));
        }
        if (Boolean.TRUE.equals(result)) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(ConditionExplainer.whyFalse(rule.condition().source(), variables));
    }

    private static RuleOutcome apply(CompiledRule rule, Event event, Map<String, Object> variables, Instant now,
                                     List<Action> actionsOut, List<RegisterOp> opsOut) {
        String step = "when.condition";
        try {
            if (rule.condition() != null) {
                Object result = rule.condition().evaluate(variables);
                if (!(result instanceof Boolean)) {
                    return outcome(rule, Outcome.ERROR, "when.condition: evaluated to "
                        + (result == null ? "null" : result.getClass().getSimpleName() + " " + result) + ", not true or false");
                }
                if (!(Boolean) result) {
                    return outcome(rule, Outcome.CONDITION_FALSE, null);
                }
            }
            // Render everything first, so a rule that fails half-way emits nothing.
            List<Action> actions = new ArrayList<>(rule.actions().size());
            for (int i = 0; i < rule.actions().size(); i++) {
                step = "actions[" + i + "]";
                CompiledRule.CompiledAction a = rule.actions().get(i);
                Map<String, String> params = new TreeMap<>();
                for (Map.Entry<String, Template> p : a.params().entrySet()) {
                    step = "actions[" + i + "].params." + p.getKey();
                    params.put(p.getKey(), p.getValue().render(variables));
                }
                step = "actions[" + i + "].target";
                String target = a.target() == null ? event.getSubject() : a.target().render(variables);
                actions.add(Action.newBuilder()
                    .setId(ActionIds.of(event.getId(), rule.id(), rule.version(), i))
                    .setSystem(a.system())
                    .setAction(a.action())
                    .setTarget(target)
                    .setParams(params)
                    .setEventId(event.getId())
                    .setEventSource(event.getSource())
                    .setEventType(event.getType())
                    .setRuleId(rule.id())
                    .setRuleVersion(rule.version())
                    .setCorrelationid(event.getCorrelationid() == null ? event.getId() : event.getCorrelationid())
                    .setTraceparent(event.getTraceparent())
                    .setCreatedAt(now)
                    .build());
            }
            List<RegisterOp> ops = new ArrayList<>(rule.registerOps().size());
            for (int i = 0; i < rule.registerOps().size(); i++) {
                step = "registers[" + i + "]";
                CompiledRule.CompiledRegisterOp op = rule.registerOps().get(i);
                String name = op.name().render(variables);
                if (name.isBlank()) {
                    throw new IllegalStateException("the register name rendered empty");
                }
                ops.add(RegisterOp.newBuilder()
                    .setName(name)
                    .setOp(op.op())
                    .setValue(op.value() == null ? null : op.value().render(variables))
                    .setTtlMs(op.ttlMs())
                    .setEventId(event.getId())
                    .setRuleId(rule.id())
                    .setRuleVersion(rule.version())
                    .build());
            }
            actionsOut.addAll(actions);
            opsOut.addAll(ops);
            return outcome(rule, Outcome.MATCHED, null);
        } catch (RuntimeException e) {
            return outcome(rule, Outcome.ERROR, step + ": " + Expression.firstLine(e.getMessage() == null ? e.toString() : e.getMessage()));
        }
    }

    private static RuleOutcome outcome(IndexedRule rule, Outcome outcome, String detail) {
        return RuleOutcome.newBuilder()
            .setRuleId(rule.id())
            .setRuleVersion(rule.version())
            .setOutcome(outcome)
            .setDetail(detail)
            .build();
    }
}
