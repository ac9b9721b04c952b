package dev.reflex.rules.flow;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.reflex.rules.CompiledRule;
import dev.reflex.rules.expr.RuleException;
import dev.reflex.schemas.FlowStatus;
import dev.reflex.schemas.FlowThread;
import dev.reflex.schemas.RegisterOp;
import dev.reflex.schemas.TransitionKind;

/** {@code set}: sets context values and/or operates on registers (outcome done). */
public record SetStep(
        Place place, Map<String, CompiledFlow.ContextValue> context, List<CompiledRule.CompiledRegisterOp> registers)
        implements Step {
    static SetStep read(Place place, Map<String, Object> s, String at, StepKinds.Compiler compiler) {
        String p = at + ".set";
        Map<String, Object> body = FlowSteps.map(s.get("set"), p, Set.of("context", "registers"), true);
        Map<String, CompiledFlow.ContextValue> context = FlowSteps.contextValues(body.get("context"), p + ".context");
        List<CompiledRule.CompiledRegisterOp> registers = new ArrayList<>();
        if (body.get("registers") != null) {
            if (!(body.get("registers") instanceof List<?> ops)) {
                throw new RuleException(p + ".registers", "'registers' is a list of set, incr and delete operations");
            }
            for (int i = 0; i < ops.size(); i++) {
                String op = p + ".registers[" + i + "]";
                registers.add(FlowSteps.registerOp(
                        FlowSteps.map(ops.get(i), op, Set.of("set", "value", "ttl", "incr", "by", "delete"), true),
                        op));
            }
        }
        if (context.isEmpty() && registers.isEmpty()) {
            throw new RuleException(p, "a set step sets context values and/or registers");
        }
        FlowSteps.outcomes(place.next(), at + ".next", Set.of("done"));
        return new SetStep(place, context, List.copyOf(registers));
    }

    @Override
    public boolean run(FlowRun runner, FlowThread t) {
        Map<String, Object> vars = runner.vars(t);
        runner.setContext(context, vars);
        for (CompiledRule.CompiledRegisterOp op : registers) {
            runner.ops.add(RegisterOp.newBuilder()
                    .setName(op.name().render(vars))
                    .setOp(op.op())
                    .setValue(op.value() == null ? null : op.value().render(vars))
                    .setTtlMs(op.ttlMs())
                    .setEventId(runner.cause)
                    .setRuleId(runner.flow.id)
                    .setRuleVersion(runner.flow.version)
                    .build());
        }
        runner.transition(
                TransitionKind.STEP_STARTED,
                t,
                id(),
                "set " + String.join(", ", context.keySet())
                        + (registers.isEmpty() ? "" : " and " + registers.size() + " register(s)"));
        return runner.instance.getStatus() == FlowStatus.RUNNING && runner.proceed(t, this, "done");
    }
}
