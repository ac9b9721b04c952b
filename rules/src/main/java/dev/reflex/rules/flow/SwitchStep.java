package dev.reflex.rules.flow;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.reflex.rules.expr.Expression;
import dev.reflex.rules.expr.RuleException;
import dev.reflex.schemas.FlowThread;
import dev.reflex.schemas.TransitionKind;

/** {@code switch}: the first case whose {@code if} holds gives the next step; none holding is outcome done. */
public record SwitchStep(Place place, List<Case> cases) implements Step {
    /** A condition and where it leads. */
    public record Case(Expression condition, String next) {}

    static SwitchStep read(Place place, Map<String, Object> s, String at, StepKinds.Compiler compiler) {
        String p = at + ".switch";
        if (!(s.get("switch") instanceof List<?> items) || items.isEmpty()) {
            throw new RuleException(p, "switch is a list of {if: CONDITION, next: STEP}, tried in order");
        }
        List<Case> cases = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            String c = p + "[" + i + "]";
            Map<String, Object> fields = FlowSteps.map(items.get(i), c, Set.of("if", "next"), true);
            Expression condition =
                    FlowSteps.at(c + ".if", () -> Expression.compile(FlowSteps.text(fields.get("if"), c + ".if")));
            String to = FlowSteps.text(fields.get("next"), c + ".next");
            if (to == null) {
                throw new RuleException(c, "each case needs 'if' and 'next'");
            }
            cases.add(new Case(condition, to));
        }
        FlowSteps.outcomes(place.next(), at + ".next", Set.of("done"));
        return new SwitchStep(place, List.copyOf(cases));
    }

    @Override
    public List<String> targets() {
        return cases.stream().map(Case::next).toList();
    }

    @Override
    public boolean run(FlowRun runner, FlowThread t) {
        Map<String, Object> vars = runner.vars(t);
        for (Case c : cases) {
            if (Boolean.TRUE.equals(c.condition().evaluate(vars))) {
                runner.transition(
                        TransitionKind.STEP_STARTED,
                        t,
                        id(),
                        "`" + c.condition().source() + "` holds: next " + c.next());
                return runner.goTo(t, this, c.next());
            }
        }
        runner.transition(TransitionKind.STEP_STARTED, t, id(), "no case holds");
        return runner.proceed(t, this, "done");
    }
}
