package dev.reflex.rules.flow;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.reflex.rules.ThenRenderer;
import dev.reflex.rules.expr.Durations;
import dev.reflex.rules.expr.Expression;
import dev.reflex.schemas.Action;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.FlowInstance;
import dev.reflex.schemas.FlowPhase;
import dev.reflex.schemas.FlowStatus;
import dev.reflex.schemas.FlowThread;
import dev.reflex.schemas.FlowTransition;
import dev.reflex.schemas.Outcome;
import dev.reflex.schemas.RegisterOp;
import dev.reflex.schemas.TransitionKind;

/**
 * One input applied to one instance of a flow: what the runner's steps read (the flow, the instance, the input, the
 * time) and add to (transitions, actions, register operations), the threads it moves, and how each kind of input
 * moves them. {@link FlowRunner} makes one per input; {@link Step}s act through it.
 */
final class FlowRun {
    private static final ObjectMapper JSON = new ObjectMapper();

    // what the steps (Step.run) read and add to
    final CompiledFlow flow;
    final FlowInstance instance;
    final FlowRunner.Input input;
    final long now;
    final String cause;
    final List<Action> actions = new ArrayList<>();
    final List<RegisterOp> ops = new ArrayList<>();
    final Function<String, String> registers;
    final List<FlowTransition> transitions = new ArrayList<>();
    private int steps;

    FlowRun(
            CompiledFlow flow,
            FlowInstance instance,
            FlowRunner.Input input,
            Function<String, String> registers,
            long now,
            String cause) {
        this.flow = flow;
        this.instance = instance;
        this.input = input;
        this.registers = registers;
        this.now = now;
        this.cause = cause;
    }

    void begin() {
        transition(
                TransitionKind.STARTED,
                null,
                null,
                "run " + instance.getRun() + " of version " + flow.version + " started by "
                        + input.event().getId());
        try {
            setContext(flow.context, vars(null));
        } catch (RuntimeException e) {
            fail("context: " + Expression.firstLine(String.valueOf(e.getMessage())));
            return;
        }
        FlowThread main = FlowThread.newBuilder()
                .setId("t")
                .setStep(flow.first(CompiledFlow.MAIN))
                .setPhase(FlowPhase.ACTING)
                .setLoops(new HashMap<>())
                .setItems(new HashMap<>())
                .build();
        instance.getThreads().add(main);
        run(main);
    }

    FlowRunner.Result result(FlowInstance state, String key) {
        if (state != null) {
            state.setUpdatedAt(now);
        }
        boolean moved = transitions.stream().anyMatch(t -> t.getKind() != TransitionKind.IGNORED);
        return new FlowRunner.Result(state, moved ? Outcome.ADVANCED : Outcome.IGNORED, transitions, actions, ops);
    }

    // ---- inputs

    void awaited() {
        Event event = input.event();
        boolean any = false;
        for (FlowThread t : new ArrayList<>(instance.getThreads())) {
            if (t.getPhase() != FlowPhase.WAITING
                    || !(flow.step(t.getStep()) instanceof WaitStep step)
                    || !step.waitFor().fits(event)
                    || !instance.getThreads().contains(t)) {
                continue;
            }
            try {
                Object ok = step.waitFor().condition() == null
                        ? Boolean.TRUE
                        : step.waitFor().condition().evaluate(vars(t));
                if (!Boolean.TRUE.equals(ok)) {
                    continue;
                }
            } catch (RuntimeException e) {
                fail(step.id() + ".wait.for.condition: " + Expression.firstLine(String.valueOf(e.getMessage())));
                return;
            }
            any = true;
            transition(
                    TransitionKind.RESULT,
                    t,
                    step.id(),
                    "event " + event.getId() + " (" + event.getSource() + " / " + event.getType() + ") came");
            if (proceed(t, step, "event")) {
                run(t);
            }
        }
        if (!any) {
            transition(
                    TransitionKind.IGNORED,
                    null,
                    null,
                    "no step of run " + instance.getRun() + " waits for event " + event.getId());
        }
    }

    void resultOf() {
        Event event = input.event();
        JsonNode data = FlowVariables.data(event);
        String actionId = data.path("actionId").asText(null);
        for (FlowThread t : instance.getThreads()) {
            if (t.getPhase() == FlowPhase.ACTING && actionId != null && actionId.equals(t.getActionId())) {
                DoStep step = (DoStep) flow.step(t.getStep());
                boolean succeeded = "action.succeeded".equals(event.getType());
                t.setLastResult(data.toString());
                if (!succeeded && step.retryLater(this, t)) {
                    return;
                }
                transition(
                        TransitionKind.RESULT,
                        t,
                        step.id(),
                        (succeeded ? "succeeded" : "failed") + " on attempt " + (t.getAttempt() + 1));
                if (proceed(t, step, succeeded ? "succeeded" : "failed")) {
                    run(t);
                }
                return;
            }
        }
        transition(
                TransitionKind.IGNORED,
                null,
                null,
                "result of action " + actionId + ", which no step of run " + instance.getRun()
                        + " waits for (a late result after a timeout or a retry, or the result of an action a rule took on this flow's events)");
    }

    void timers() {
        for (FlowThread t : new ArrayList<>(instance.getThreads())) {
            if (!instance.getThreads().contains(t)
                    || t.getDueAt() == null
                    || t.getDueAt() > now
                    || instance.getStatus() != FlowStatus.RUNNING) {
                continue;
            }
            Step step = flow.step(t.getStep());
            long late = now - t.getDueAt();
            switch (t.getPhase()) {
                case BACKOFF -> {
                    t.setAttempt(t.getAttempt() + 1);
                    ((DoStep) step).act(this, t);
                }
                case ACTING, WAITING -> {
                    long timeout = step instanceof DoStep act ? act.timeoutMs() : ((WaitStep) step).timeoutMs();
                    transition(
                            TransitionKind.TIMED_OUT,
                            t,
                            step.id(),
                            (t.getPhase() == FlowPhase.ACTING ? "no result" : "no event") + " within "
                                    + Durations.words(timeout) + " (" + late + " ms late)");
                    if (proceed(t, step, "timeout")) {
                        run(t);
                    }
                }
                default -> {}
            }
        }
    }

    void cancel(String reason) {
        finish(FlowStatus.CANCELLED, TransitionKind.CANCELLED, reason);
    }

    /** The run is over: no thread goes on. */
    private void finish(FlowStatus status, TransitionKind kind, String why) {
        instance.setStatus(status);
        instance.getThreads().clear();
        instance.setOutcome(status.name().toLowerCase(Locale.ROOT) + ": " + why);
        transition(kind, null, null, why);
    }

    // ---- running threads

    /** Runs a thread until it waits (for a result, a backoff, an event or its branches) or its scope ends. */
    void run(FlowThread t) {
        while (instance.getStatus() == FlowStatus.RUNNING
                && instance.getThreads().contains(t)) {
            if (++steps > flow.maxTransitions) {
                guard("more than " + flow.maxTransitions + " steps on one input (limits.transitions): a loop?");
                return;
            }
            Step step = flow.step(t.getStep());
            boolean go;
            try {
                go = step.run(this, t);
            } catch (ThenRenderer.Failed e) {
                fail(step.id() + "." + e.step + ": " + Expression.firstLine(e.getMessage()));
                return;
            } catch (RuntimeException e) {
                fail(step.id() + ": " + Expression.firstLine(String.valueOf(e.getMessage())));
                return;
            }
            if (!go) {
                return;
            }
        }
    }

    /** Moves a thread on by an outcome of {@code step}; true when it has a step to run. */
    boolean proceed(FlowThread t, Step step, String outcome) {
        return goTo(t, step, step.place().target(outcome));
    }

    boolean goTo(FlowThread t, Step from, String target) {
        t.setAttempt(0);
        t.setDueAt(null);
        t.setActionId(null);
        if (CompiledFlow.FAIL.equals(target)) {
            fail("step " + from.id() + " led to fail");
            return false;
        }
        if (CompiledFlow.END.equals(target)) {
            // end finishes the instance, from any list (a branch, a loop)
            instance.getThreads().clear();
            instance.setStatus(FlowStatus.ENDED);
            instance.setOutcome("ended at " + from.id());
            transition(TransitionKind.ENDED, t, from.id(), "run " + instance.getRun() + " ended");
            return false;
        }
        if (target == null) {
            return endOfScope(t, from.scope());
        }
        t.setStep(target);
        return true;
    }

    /** A thread reached the end of its scope: the flow's end, a branch's end (maybe the join), or an iteration's end. */
    private boolean endOfScope(FlowThread t, String scope) {
        if (scope.equals(CompiledFlow.MAIN)) {
            instance.getThreads().remove(t);
            if (instance.getThreads().isEmpty()) {
                instance.setStatus(FlowStatus.ENDED);
                instance.setOutcome("ended");
                transition(TransitionKind.ENDED, null, null, "run " + instance.getRun() + " ended");
            }
            return false;
        }
        Step owner = flow.owner(scope);
        if (owner instanceof ForEachStep each) {
            return each.nextItem(this, t);
        }
        // a parallel branch ended
        instance.getThreads().remove(t);
        String parentId = t.getBranchOf().substring(t.getBranchOf().indexOf('@') + 1);
        FlowThread parent = instance.getThreads().stream()
                .filter(p -> p.getId().equals(parentId))
                .findFirst()
                .orElse(null);
        if (parent == null) {
            return false;
        }
        ParallelStep parallel = (ParallelStep) owner;
        parent.setJoined(parent.getJoined() + 1);
        if (parent.getJoined() < parallel.needed()) {
            return false;
        }
        instance.getThreads()
                .removeIf(other -> t.getBranchOf().equals(other.getBranchOf()) || isBelow(other, t.getBranchOf()));
        transition(
                TransitionKind.RESULT,
                parent,
                owner.id(),
                parent.getJoined() + " of " + parallel.branches().size() + " branches done");
        if (proceed(parent, owner, "done")) {
            run(parent);
        }
        return false;
    }

    /** Whether a thread was forked from a branch of {@code branchOf} (a parallel inside the branch). */
    private static boolean isBelow(FlowThread thread, String branchOf) {
        String parentThread = branchOf.substring(branchOf.indexOf('@') + 1);
        return thread.getId().startsWith(parentThread + ".") && thread.getBranchOf() != null;
    }

    private void fail(String why) {
        finish(FlowStatus.FAILED, TransitionKind.FAILED, why);
    }

    private void guard(String why) {
        transition(TransitionKind.GUARD, null, null, why);
        fail(why);
    }

    // ---- context and variables

    void setContext(Map<String, CompiledFlow.ContextValue> values, Map<String, Object> vars) {
        for (Map.Entry<String, CompiledFlow.ContextValue> v : values.entrySet()) {
            String json;
            try {
                json = v.getValue().json() != null
                        ? v.getValue().json()
                        : JSON.writeValueAsString(v.getValue().template().render(vars));
            } catch (IOException e) {
                throw new IllegalStateException(e.getMessage());
            }
            instance.getContext().put(v.getKey(), json);
        }
        int bytes = instance.getContext().entrySet().stream()
                .mapToInt(e -> e.getKey().length() + e.getValue().length())
                .sum();
        if (bytes > flow.maxContextBytes) {
            guard("the context is " + bytes + " bytes, over limits.contextBytes (" + flow.maxContextBytes + ")");
        }
    }

    Map<String, Object> vars(FlowThread t) {
        return FlowVariables.of(flow, instance, t, input.event(), registers, now);
    }

    FlowTransition transition(TransitionKind kind, FlowThread t, String step, String detail) {
        FlowTransition transition = FlowTransition.newBuilder()
                .setFlowId(flow.id)
                .setVersion(instance == null ? flow.version : instance.getVersion())
                .setKey(instance == null ? "" : instance.getKey())
                .setRun(instance == null ? 0 : instance.getRun())
                .setKind(kind)
                .setStep(step)
                .setThread(t == null ? null : t.getId())
                .setAttempt(t == null ? 0 : t.getAttempt())
                .setDetail(detail)
                .setEventId(cause)
                .setStartedBy(instance == null ? null : instance.getStartedBy())
                .setAt(Instant.ofEpochMilli(now))
                .build();
        transitions.add(transition);
        return transition;
    }
}
