package dev.reflex.rules.flow;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.reflex.rules.expr.RuleException;
import dev.reflex.schemas.FlowPhase;
import dev.reflex.schemas.FlowThread;
import dev.reflex.schemas.TransitionKind;

/**
 * {@code parallel}: each branch (a list of steps, scope {@code id[i]}) runs as a thread of its own; the step is done
 * when {@code join} of them (all by default, {@code any}, or a number) have ended, and the others stop.
 */
public record ParallelStep(Place place, List<String> branches, int join) implements Step {
    static ParallelStep read(Place place, Map<String, Object> s, String at, StepKinds.Compiler compiler) {
        String p = at + ".parallel";
        Map<String, Object> par = FlowSteps.map(s.get("parallel"), p, Set.of("branches", "join"), true);
        if (!(par.get("branches") instanceof List<?> branches) || branches.size() < 2) {
            throw new RuleException(
                    p + ".branches", "a parallel step needs at least two branches, each a list of steps");
        }
        List<String> scopes = new ArrayList<>();
        for (int i = 0; i < branches.size(); i++) {
            String branch = place.id() + "[" + i + "]";
            compiler.scope(branches.get(i), p + ".branches[" + i + "]", branch);
            scopes.add(branch);
        }
        int join = 0;
        Object joinValue = par.get("join");
        if (joinValue != null && !"all".equals(joinValue)) {
            join = "any".equals(joinValue) ? 1 : FlowSteps.integer(joinValue, p + ".join", 1, branches.size());
        }
        FlowSteps.outcomes(place.next(), at + ".next", Set.of("done"));
        return new ParallelStep(place, List.copyOf(scopes), join);
    }

    /** Branches that must end for the step to be done. */
    int needed() {
        return join == 0 ? branches.size() : join;
    }

    @Override
    public boolean run(FlowRun runner, FlowThread t) {
        t.setPhase(FlowPhase.JOINING);
        t.setJoined(0);
        t.setDueAt(null);
        runner.transition(
                TransitionKind.STEP_STARTED,
                t,
                id(),
                branches.size() + " branches, join " + (join == 0 ? "all" : join));
        List<FlowThread> threads = new ArrayList<>();
        for (int i = 0; i < branches.size(); i++) {
            FlowThread branch = FlowThread.newBuilder()
                    .setId(t.getId() + "." + i)
                    .setStep(runner.flow.first(branches.get(i)))
                    .setPhase(FlowPhase.ACTING)
                    .setLoops(new HashMap<>(t.getLoops()))
                    .setItems(new HashMap<>(t.getItems()))
                    .setBranchOf(id() + "@" + t.getId())
                    .build();
            runner.instance.getThreads().add(branch);
            threads.add(branch);
        }
        threads.forEach(runner::run);
        return false;
    }
}
