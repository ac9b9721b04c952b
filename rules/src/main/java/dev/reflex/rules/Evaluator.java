package dev.reflex.rules;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

import dev.reflex.rules.correlate.CompiledCorrelation;
import dev.reflex.rules.correlate.Correlator;
import dev.reflex.rules.expr.ConditionExplainer;
import dev.reflex.rules.expr.EventView;
import dev.reflex.rules.expr.Expression;
import dev.reflex.rules.expr.ExpressionGuard;
import dev.reflex.rules.expr.ReadOnlyViews;
import dev.reflex.rules.expr.RuleFunctions;
import dev.reflex.rules.expr.Template;
import dev.reflex.rules.flow.CompiledFlow;
import dev.reflex.rules.flow.FlowAddress;
import dev.reflex.rules.flow.WaitStep;
import dev.reflex.schemas.Action;
import dev.reflex.schemas.CorrelationInput;
import dev.reflex.schemas.CorrelationRole;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.Outcome;
import dev.reflex.schemas.RegisterOp;
import dev.reflex.schemas.RuleOutcome;

/**
 * Evaluates an event against the rules that can match it. A rule that fails (an expression error, a template
 * that cannot render) yields an ERROR outcome and nothing else; the other rules are unaffected.
 */
public final class Evaluator {
    private Evaluator() {}

    /**
     * @param registers current register values by name (null when unset)
     * @param now the time stamped on actions
     */
    public static Evaluation evaluate(Event event, RuleIndex index, Function<String, String> registers, Instant now) {
        return evaluate(event, index, registers, now, Long.MAX_VALUE);
    }

    /**
     * As above; a rule whose evaluation takes longer than {@code slowMicros} gets an ERROR outcome, emits nothing and
     * is listed in {@link Evaluation#slowRules()} so the caller can quarantine it. Longer means on the processor: a rule
     * over the budget by the wall clock is judged by the CPU time this thread spent on the whole event so far (which
     * bounds the rule's own; less at most a millisecond, see {@link ThreadCpu#near}), so a garbage-collection pause or a
     * machine short of CPU (an outage's usual company) does not quarantine a rule that is not slow, nor drop what it
     * emitted.
     */
    public static Evaluation evaluate(
            Event event, RuleIndex index, Function<String, String> registers, Instant now, long slowMicros) {
        return evaluate(event, index.candidates(event.getSource(), event.getType()), registers, now, slowMicros);
    }

    /** Evaluates {@code event} against exactly {@code candidates} (ordered by id), as replaying a recorded decision does. */
    public static Evaluation evaluate(
            Event event,
            List<IndexedRule> candidates,
            Function<String, String> registers,
            Instant now,
            long slowMicros) {
        List<RuleOutcome> outcomes = new ArrayList<>(candidates.size());
        List<Action> actions = new ArrayList<>();
        List<RegisterOp> ops = new ArrayList<>();
        List<Evaluation.SlowRule> slow = new ArrayList<>(0);
        List<CorrelationInput> correlations = new ArrayList<>(0);
        if (candidates.isEmpty()) {
            return new Evaluation(outcomes, actions, ops, slow, Map.of(), 0, correlations);
        }
        long began = System.nanoTime();
        ThreadCpu.Mark cpuBegan = slowMicros == Long.MAX_VALUE ? null : ThreadCpu.near(began);
        // every register read is recorded with the value seen, so a decision can be explained and replayed
        Map<String, String> read = new TreeMap<>();
        // a register is looked up once per event, however many rules read it, and every rule sees the same value
        Function<String, String> recording = name -> {
            if (read.containsKey(name)) {
                return read.get(name);
            }
            String value = registers.apply(name);
            read.put(name, value);
            return value;
        };
        Map<String, Object> variables = variables(event, recording, now);
        for (IndexedRule candidate : candidates) {
            if (candidate instanceof QuarantinedRule quarantined) {
                outcomes.add(outcome(candidate, Outcome.QUARANTINED, quarantined.reason()));
            } else if (!candidate.rule().getEnabled() && !(candidate instanceof CompiledRule c && c.flow() != null)) {
                outcomes.add(outcome(candidate, Outcome.DISABLED, null));
            } else {
                long started = System.nanoTime();
                int actionsBefore = actions.size();
                int opsBefore = ops.size();
                int correlationsBefore = correlations.size();
                RuleOutcome outcome =
                        apply((CompiledRule) candidate, event, variables, now, actions, ops, correlations);
                long micros = (System.nanoTime() - started) / 1_000;
                if (micros > slowMicros) {
                    micros = cpuMicrosSince(cpuBegan, micros);
                }
                if (micros > slowMicros) {
                    // a slow rule emits nothing: take back what it appended
                    actions.subList(actionsBefore, actions.size()).clear();
                    ops.subList(opsBefore, ops.size()).clear();
                    correlations
                            .subList(correlationsBefore, correlations.size())
                            .clear();
                    slow.add(new Evaluation.SlowRule(candidate.rule(), micros));
                    outcomes.add(outcome(
                            candidate,
                            Outcome.ERROR,
                            "took " + micros / 1_000 + " ms, over the budget of " + slowMicros / 1_000
                                    + " ms; quarantined"));
                } else if (outcome != null) {
                    outcomes.add(outcome);
                }
            }
        }
        return new Evaluation(outcomes, actions, ops, slow, read, (System.nanoTime() - began) / 1_000, correlations);
    }

    /**
     * The CPU time this thread spent on the event since it began, in µs, at most a millisecond short (see
     * {@link ThreadCpu#near}); {@code wallMicros} where the JVM cannot tell.
     */
    private static long cpuMicrosSince(ThreadCpu.Mark began, long wallMicros) {
        long now = ThreadCpu.nanos();
        if (began == null || began.cpu() < 0 || now < 0) {
            return wallMicros;
        }
        return Math.max(0, now - began.cpu() - began.before()) / 1_000;
    }

    /** The current thread's CPU time in ns, or -1 where the JVM does not measure it. */
    private static final class ThreadCpu {
        private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
        private static final boolean SUPPORTED =
                THREADS.isCurrentThreadCpuTimeSupported() && THREADS.isThreadCpuTimeEnabled();
        /** How old a reading of the CPU clock may be to stand for an event's start. */
        private static final long FRESH_NANOS = 1_000_000;
        /** This thread's last reading: when by the wall clock (ns), and the CPU clock then. */
        private static final ThreadLocal<long[]> LAST = ThreadLocal.withInitial(() -> new long[] {0, -1});

        /**
         * A CPU reading and the wall time between it and {@code wallNow}, at most {@value #FRESH_NANOS} ns. Reading
         * the CPU clock is a system call, which once per event was 3.5% of the engine's thread; at most once a
         * millisecond is nothing. The thread cannot have spent more CPU between the reading and {@code wallNow} than
         * the wall time between them, so the CPU since the reading, less that, is never more than the event's own.
         */
        static Mark near(long wallNow) {
            long[] last = LAST.get();
            if (last[1] < 0 || wallNow - last[0] > FRESH_NANOS) {
                last[0] = wallNow;
                last[1] = nanos();
            }
            return new Mark(last[1], wallNow - last[0]);
        }

        record Mark(long cpu, long before) {}

        static long nanos() {
            return SUPPORTED ? THREADS.getCurrentThreadCpuTime() : -1;
        }
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
    public static Optional<String> whyFalse(
            CompiledRule rule, Event event, Function<String, String> registers, Instant now) {
        if (rule.condition() == null) {
            return Optional.empty();
        }
        Map<String, Object> variables = variables(event, registers, now);
        Object result;
        try {
            result = rule.condition().evaluate(variables);
        } catch (RuntimeException e) {
            return Optional.of("the condition failed: " + Expression.firstLine(e.getMessage()));
        }
        if (Boolean.TRUE.equals(result)) {
            return Optional.empty();
        }
        return Optional.of(ConditionExplainer.whyFalse(rule.condition().source(), variables));
    }

    private static RuleOutcome apply(
            CompiledRule rule,
            Event event,
            Map<String, Object> variables,
            Instant now,
            List<Action> actionsOut,
            List<RegisterOp> opsOut,
            List<CorrelationInput> correlationsOut) {
        if (rule.correlation() != null) {
            return correlating(rule, event, variables, correlationsOut);
        }
        if (rule.flow() != null) {
            return flowing(rule, event, variables, correlationsOut);
        }
        String step = "when.condition";
        try {
            if (rule.condition() != null) {
                Object result = rule.condition().evaluate(variables);
                if (!(result instanceof Boolean)) {
                    return outcome(
                            rule,
                            Outcome.ERROR,
                            "when.condition: evaluated to "
                                    + (result == null
                                            ? "null"
                                            : result.getClass().getSimpleName() + " " + result)
                                    + ", not true or false");
                }
                if (!(Boolean) result) {
                    return outcome(rule, Outcome.CONDITION_FALSE, null);
                }
            }
            // Render everything first, so a rule that fails half-way emits nothing.
            ThenRenderer.Rendered rendered =
                    ThenRenderer.render(rule, event, event.getId(), event.getId(), variables, now);
            List<Action> actions = rendered.actions();
            List<RegisterOp> ops = rendered.registerOps();
            actionsOut.addAll(actions);
            opsOut.addAll(ops);
            return outcome(rule, Outcome.MATCHED, null);
        } catch (ThenRenderer.Failed e) {
            return outcome(rule, Outcome.ERROR, e.step + ": " + Expression.firstLine(e.getMessage()));
        } catch (RuntimeException e) {
            return outcome(
                    rule,
                    Outcome.ERROR,
                    step + ": " + Expression.firstLine(e.getMessage() == null ? e.toString() : e.getMessage()));
        }
    }

    /**
     * A correlation rule decides nothing on one event: the event is handed to correlation under its key, once for each
     * part of the rule it matches (its when, its unless, its after), and correlation's own decision says what came of it.
     */
    private static RuleOutcome correlating(
            CompiledRule rule, Event event, Map<String, Object> variables, List<CorrelationInput> out) {
        CompiledCorrelation c = rule.correlation();
        String step = "correlate.key";
        try {
            boolean whenFits = fits(
                    rule.rule().getWhen().getSource(), rule.rule().getWhen().getType(), event);
            boolean unlessFits =
                    c.unless() != null && fits(c.unless().source(), c.unless().type(), event);
            boolean afterFits =
                    c.after() != null && fits(c.after().source(), c.after().type(), event);
            if (!whenFits && !unlessFits && !afterFits) {
                return outcome(rule, Outcome.CONDITION_FALSE, null);
            }
            String key = c.keyOf(event, variables);
            variables.put(CORRELATION, Correlator.variables(key, 0, null, null, null, null));
            List<CorrelationRole> roles = new ArrayList<>(1);
            if (whenFits) {
                step = "when.condition";
                Object result = rule.condition() == null
                        ? Boolean.TRUE
                        : rule.condition().evaluate(variables);
                if (!(result instanceof Boolean)) {
                    return outcome(
                            rule,
                            Outcome.ERROR,
                            "when.condition: evaluated to "
                                    + (result == null
                                            ? "null"
                                            : result.getClass().getSimpleName() + " " + result)
                                    + ", not true or false");
                }
                if ((Boolean) result) {
                    roles.add(CorrelationRole.TRIGGER);
                }
            }
            step = "correlate.unless.condition";
            if (unlessFits && c.unless().matches(event, variables)) {
                roles.add(CorrelationRole.UNLESS);
            }
            step = "correlate.after.condition";
            if (afterFits && c.after().matches(event, variables)) {
                roles.add(CorrelationRole.AFTER);
            }
            if (roles.isEmpty()) {
                return outcome(rule, Outcome.CONDITION_FALSE, null);
            }
            for (CorrelationRole role : roles) {
                out.add(CorrelationInput.newBuilder()
                        .setRuleId(rule.id())
                        .setRuleVersion(rule.version())
                        .setRole(role)
                        .setKey(key)
                        .setEvent(event)
                        .build());
            }
            return outcome(
                    rule,
                    Outcome.CORRELATING,
                    "key '" + key + "' as "
                            + String.join(
                                    " and ",
                                    roles.stream()
                                            .map(r -> r.name().toLowerCase())
                                            .toList()) + " event");
        } catch (RuntimeException e) {
            return outcome(
                    rule,
                    Outcome.ERROR,
                    step + ": " + Expression.firstLine(e.getMessage() == null ? e.toString() : e.getMessage()));
        } finally {
            variables.remove(CORRELATION);
        }
    }

    private static final String CORRELATION = "correlation";

    /**
     * A flow decides nothing here either: an event that starts it, that one of its wait steps listens to, or that is the
     * result of one of its actions is handed to its instance, keyed by flow id and key, where the flow runs.
     */
    private static RuleOutcome flowing(
            CompiledRule rule, Event event, Map<String, Object> variables, List<CorrelationInput> out) {
        CompiledFlow flow = rule.flow();
        String step = "start.when.condition";
        try {
            Map<CorrelationRole, List<String>> inputs = new LinkedHashMap<>();
            // a disabled flow starts no new run; its running ones still get their events and results
            if (rule.rule().getEnabled()
                    && fits(
                            rule.rule().getWhen().getSource(),
                            rule.rule().getWhen().getType(),
                            event)) {
                Object result = rule.condition() == null
                        ? Boolean.TRUE
                        : rule.condition().evaluate(variables);
                if (!(result instanceof Boolean)) {
                    return outcome(rule, Outcome.ERROR, step + ": evaluated to " + result + ", not true or false");
                }
                if ((Boolean) result) {
                    step = "start.key";
                    inputs.computeIfAbsent(CorrelationRole.START, r -> new ArrayList<>())
                            .add(flowKey(flow.key, event, variables));
                }
            }
            for (WaitStep wait : flow.waits()) {
                if (wait.waitFor().fits(event)) {
                    step = wait.id() + ".wait.key";
                    String key = flowKey(wait.key(), event, variables);
                    List<String> keys = inputs.computeIfAbsent(CorrelationRole.WAIT, r -> new ArrayList<>());
                    if (!keys.contains(key)) {
                        keys.add(key);
                    }
                }
            }
            FlowAddress addressed = "reflex".equals(event.getSource())
                    ? FlowAddress.of(event.getCorrelationid()).orElse(null)
                    : null;
            // the flow's own action's result: its correlation id names the instance, and the result names the flow as
            // the rule that acted (a rule reacting to the flow's events inherits the correlation id, not the rule id)
            if (addressed != null
                    && addressed.flowId().equals(rule.id())
                    && ("action.succeeded".equals(event.getType()) || "action.failed".equals(event.getType()))
                    && rule.id().equals(resultRuleId(variables))) {
                inputs.computeIfAbsent(CorrelationRole.RESULT, r -> new ArrayList<>())
                        .add(addressed.key());
            }
            if (inputs.isEmpty()) {
                // an action result that is not this flow's: the flow was never in question (null: not recorded)
                boolean listens = fits(
                                rule.rule().getWhen().getSource(),
                                rule.rule().getWhen().getType(),
                                event)
                        || flow.waits().stream().anyMatch(w -> w.waitFor().fits(event));
                return listens ? outcome(rule, Outcome.CONDITION_FALSE, null) : null;
            }
            List<String> words = new ArrayList<>();
            inputs.forEach((role, keys) -> keys.forEach(key -> {
                out.add(CorrelationInput.newBuilder()
                        .setRuleId(rule.id())
                        .setRuleVersion(rule.version())
                        .setRole(role)
                        .setKey(key)
                        .setEvent(event)
                        .build());
                words.add("key '" + key + "' as " + role.name().toLowerCase() + " event");
            }));
            return outcome(rule, Outcome.CORRELATING, "flow: " + String.join(", ", words));
        } catch (RuntimeException e) {
            return outcome(
                    rule,
                    Outcome.ERROR,
                    step + ": " + Expression.firstLine(e.getMessage() == null ? e.toString() : e.getMessage()));
        }
    }

    private static Object resultRuleId(Map<String, Object> variables) {
        Object event = variables.get("event");
        Object data = event instanceof Map<?, ?> e ? e.get("data") : null;
        return data instanceof Map<?, ?> d ? String.valueOf(d.get("ruleId")) : null;
    }

    private static String flowKey(Template key, Event event, Map<String, Object> variables) {
        String rendered =
                key == null ? (event.getSubject() != null ? event.getSubject() : event.getId()) : key.render(variables);
        if (rendered == null || rendered.isBlank()) {
            throw new IllegalStateException("the key rendered empty");
        }
        return rendered;
    }

    private static boolean fits(String source, String type, Event event) {
        return (source == null || source.equals(event.getSource())) && (type == null || type.equals(event.getType()));
    }

    private static RuleOutcome outcome(IndexedRule rule, Outcome outcome, String detail) {
        return RuleOutcome.newBuilder()
                .setRuleId(rule.id())
                .setRuleVersion(rule.version())
                .setOutcome(outcome)
                .setDetail(detail)
                // set, not left to the builder, which looks up the schema's default for each field left unset
                .setCorrelation(null)
                .setFlow(null)
                .build();
    }
}
