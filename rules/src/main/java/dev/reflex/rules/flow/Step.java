package dev.reflex.rules.flow;

import java.util.List;
import java.util.Map;

import dev.reflex.schemas.FlowThread;

/**
 * One step of a flow, of one kind: where it stands, where its outcomes lead, and what a thread does on reaching it. A
 * new kind of step is a class here with its reader (a {@link StepKinds} entry) and its row in docs/flows.md.
 */
public sealed interface Step permits DoStep, WaitStep, SetStep, SwitchStep, ParallelStep, ForEachStep {
    /**
     * Where a step stands: its id, its scope (the main list, a parallel branch {@code id[i]}, a forEach body {@code id}),
     * its {@code next} by outcome ({@code *} for any) and the step after it in its scope (null: the scope ends there).
     */
    record Place(String id, String scope, Map<String, String> next, String following) {
        /** Where {@code outcome} leads: its {@code next}, else the step after this one in its scope (null: the scope ends). */
        String target(String outcome) {
            String to = next.get(outcome);
            if (to == null) {
                to = next.get("*");
            }
            return to != null ? to : following;
        }
    }

    Place place();

    default String id() {
        return place().id();
    }

    default String scope() {
        return place().scope();
    }

    /** Where the step leads besides its {@code next} (a switch's cases), checked like them. */
    default List<String> targets() {
        return List.of();
    }

    /** What thread {@code t} does on reaching the step; true when it goes on to its next step at once. */
    boolean run(FlowRun runner, FlowThread t);
}
