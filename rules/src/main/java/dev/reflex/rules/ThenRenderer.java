package dev.reflex.rules;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.reflex.rules.expr.Template;
import dev.reflex.schemas.Action;
import dev.reflex.schemas.ActionIds;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.RegisterOp;

/** Renders a rule's {@code then}: every action and register operation, all or nothing. */
public final class ThenRenderer {
    /** What a rule's {@code then} rendered to. */
    public record Rendered(List<Action> actions, List<RegisterOp> registerOps) {}

    /** A template that failed, with the field it was in. */
    public static final class Failed extends RuntimeException {
        public final String step;

        Failed(String step, RuntimeException cause) {
            super(cause.getMessage() == null ? cause.toString() : cause.getMessage(), cause);
            this.step = step;
        }
    }

    private ThenRenderer() {}

    /**
     * @param causeId the id recorded as the actions' cause (the event's id, or a correlation deadline's firing id)
     * @param idBase  what action ids derive from, with the rule, its version and the position (the event's id, or a
     *                correlation firing's id)
     */
    public static Rendered render(
            CompiledRule rule, Event event, String causeId, String idBase, Map<String, Object> variables, Instant now) {
        // where rendering is, as text only if it fails: concatenating it at every step cost more than a one-field
        // template
        Step step = Step.START;
        int index = -1;
        String param = null;
        try {
            List<Action> actions = new ArrayList<>(rule.actions().size());
            for (int i = 0; i < rule.actions().size(); i++) {
                step = Step.ACTION;
                index = i;
                CompiledRule.CompiledAction a = rule.actions().get(i);
                Map<String, String> params = new TreeMap<>();
                for (Map.Entry<String, Template> p : a.params().entrySet()) {
                    step = Step.PARAM;
                    param = p.getKey();
                    params.put(p.getKey(), p.getValue().render(variables));
                }
                step = Step.TARGET;
                String target =
                        a.target() == null ? event.getSubject() : a.target().render(variables);
                actions.add(Action.newBuilder()
                        .setId(ActionIds.of(idBase, rule.id(), rule.version(), i))
                        .setSystem(a.system())
                        .setAction(a.action())
                        .setTarget(target)
                        .setParams(params)
                        .setEventId(causeId)
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
                step = Step.REGISTER;
                index = i;
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
                        .setEventId(causeId)
                        .setRuleId(rule.id())
                        .setRuleVersion(rule.version())
                        .build());
            }
            return new Rendered(actions, ops);
        } catch (RuntimeException e) {
            throw new Failed(step.describe(index, param), e);
        }
    }

    private enum Step {
        START,
        ACTION,
        PARAM,
        TARGET,
        REGISTER;

        String describe(int index, String param) {
            return switch (this) {
                case START -> "actions";
                case ACTION -> "actions[" + index + "]";
                case PARAM -> "actions[" + index + "].params." + param;
                case TARGET -> "actions[" + index + "].target";
                case REGISTER -> "registers[" + index + "]";
            };
        }
    }
}
