package dev.reflex.rules.flow;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.reflex.rules.ThenRenderer;
import dev.reflex.rules.expr.Durations;
import dev.reflex.rules.expr.Expression;
import dev.reflex.schemas.Action;
import dev.reflex.schemas.CorrelationRole;
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
 * A flow's logic, pure: one input (a start event, an awaited event or signal, an action's result, due timers, a
 * cancel) and an instance give the new instance, its transitions, and the actions and register operations to emit.
 * The engine keeps instances in a changelogged store and timers in its timer index; an audit re-runs a step from the
 * instance its decision recorded; {@code reflex flows test} runs it in memory.
 */
public final class FlowRunner {
    /** One input to an instance. {@code event} is null for timers and cancels; {@code reason} says why a cancel. */
    public record Input(CorrelationRole role, Event event, String reason) {}

    /** What an input did: the instance to keep (null: nothing to keep), the outcome, and what to emit. */
    public record Result(
            FlowInstance instance,
            Outcome outcome,
            List<FlowTransition> transitions,
            List<Action> actions,
            List<RegisterOp> registerOps) {
        public List<String> words() {
            return transitions.stream().map(FlowRunner::words).toList();
        }
    }

    /** Start events kept per instance while a run is going (onRunning: queue). */
    static final int MAX_QUEUE = 100;

    private static final ObjectMapper JSON = new ObjectMapper();

    // what the steps (Step.run) read and add to
    final CompiledFlow flow;
    final FlowInstance instance;
    final Input input;
    final long now;
    final String cause;
    final List<Action> actions = new ArrayList<>();
    final List<RegisterOp> ops = new ArrayList<>();
    private final Function<String, String> registers;
    private final List<FlowTransition> transitions = new ArrayList<>();
    private int steps;

    private FlowRunner(
            CompiledFlow flow,
            FlowInstance instance,
            Input input,
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

    /**
     * Applies one input.
     *
     * @param current  the flow as it is now, which a new run starts with
     * @param versions the flow of a running instance's version (it keeps the version it started with)
     * @param before   the instance, null when the key has none
     * @param running  instances of this flow running where this one is kept, for the cap on running instances
     * @param cause    the input's id: the event's, or for timers and cancels an id of their own
     */
    public static Result apply(
            CompiledFlow current,
            Function<String, CompiledFlow> versions,
            FlowInstance before,
            String key,
            Input input,
            Function<String, String> registers,
            long now,
            int running,
            String cause) {
        FlowInstance copy = before == null ? null : copy(before);
        if (input.role() == CorrelationRole.START) {
            return start(current, versions, copy, key, input, registers, now, running, cause);
        }
        if (copy == null || copy.getStatus() != FlowStatus.RUNNING) {
            FlowRunner r = new FlowRunner(current, copy, input, registers, now, cause);
            r.transition(
                    TransitionKind.IGNORED, null, null, "no run of " + current.id + " for key '" + key + "' is going");
            return r.result(copy, key);
        }
        CompiledFlow flow = versions.apply(copy.getVersion());
        if (flow == null) {
            flow = current;
        }
        FlowRunner r = new FlowRunner(flow, copy, input, registers, now, cause);
        switch (input.role()) {
            case WAIT, SIGNAL -> r.awaited();
            case RESULT -> r.resultOf();
            case TIMER -> r.timers();
            case CANCEL -> r.cancel(input.reason());
            default -> throw new IllegalArgumentException(input.role() + " is not a flow input");
        }
        return r.next(current, versions, key, running);
    }

    private static Result start(
            CompiledFlow current,
            Function<String, CompiledFlow> versions,
            FlowInstance before,
            String key,
            Input input,
            Function<String, String> registers,
            long now,
            int running,
            String cause) {
        FlowRunner r = new FlowRunner(current, before, input, registers, now, cause);
        if (before != null && before.getStatus() == FlowStatus.RUNNING) {
            switch (current.onRunning) {
                case IGNORE -> {
                    r.transition(
                            TransitionKind.IGNORED,
                            null,
                            null,
                            "run " + before.getRun() + " is still going (onRunning: ignore)");
                    return r.result(before, key);
                }
                case QUEUE -> {
                    if (before.getQueue().size() >= MAX_QUEUE) {
                        r.transition(
                                TransitionKind.GUARD,
                                null,
                                null,
                                "run " + before.getRun() + " is going and " + MAX_QUEUE
                                        + " starts already wait; this one is dropped");
                    } else {
                        before.getQueue().add(input.event());
                        r.transition(
                                TransitionKind.QUEUED,
                                null,
                                null,
                                "queued behind run " + before.getRun() + " ("
                                        + before.getQueue().size() + " waiting)");
                    }
                    return r.result(before, key);
                }
                case REPLACE -> {
                    r.cancel("replaced by a new run started by event "
                            + input.event().getId());
                    running--;
                }
            }
        }
        if (running >= current.maxRunning) {
            r.transition(
                    TransitionKind.GUARD,
                    null,
                    null,
                    running + " runs of " + current.id
                            + " are going here, the limit (limits.running); this start is dropped");
            return r.result(before, key);
        }
        FlowRunner fresh =
                new FlowRunner(current, newRun(current, before, key, input.event(), now), input, registers, now, cause);
        fresh.transitions.addAll(r.transitions);
        fresh.begin();
        return fresh.next(current, versions, key, running + 1);
    }

    private static FlowInstance newRun(CompiledFlow flow, FlowInstance before, String key, Event event, long now) {
        return FlowInstance.newBuilder()
                .setFlowId(flow.id)
                .setVersion(flow.version)
                .setKey(key)
                .setRun(before == null ? 1 : before.getRun() + 1)
                .setStatus(FlowStatus.RUNNING)
                .setStartedAt(now)
                .setUpdatedAt(now)
                .setStartedBy(event.getId())
                .setContext(new HashMap<>())
                .setThreads(new ArrayList<>())
                .setQueue(before == null ? new ArrayList<>() : new ArrayList<>(before.getQueue()))
                .build();
    }

    private void begin() {
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

    /** After the input: a finished run with starts queued begins the next one. */
    private Result next(CompiledFlow current, Function<String, CompiledFlow> versions, String key, int running) {
        if (instance != null
                && instance.getStatus() != FlowStatus.RUNNING
                && !instance.getQueue().isEmpty()) {
            Event queued = instance.getQueue().remove(0);
            Result then = start(
                    current,
                    versions,
                    instance,
                    key,
                    new Input(CorrelationRole.START, queued, null),
                    registers,
                    now,
                    running - 1,
                    cause);
            List<FlowTransition> all = new ArrayList<>(transitions);
            all.addAll(then.transitions());
            List<Action> acts = new ArrayList<>(actions);
            acts.addAll(then.actions());
            List<RegisterOp> regs = new ArrayList<>(ops);
            regs.addAll(then.registerOps());
            return new Result(then.instance(), Outcome.ADVANCED, all, acts, regs);
        }
        return result(instance, key);
    }

    private Result result(FlowInstance state, String key) {
        if (state != null) {
            state.setUpdatedAt(now);
        }
        boolean moved = transitions.stream().anyMatch(t -> t.getKind() != TransitionKind.IGNORED);
        return new Result(state, moved ? Outcome.ADVANCED : Outcome.IGNORED, transitions, actions, ops);
    }

    // ---- inputs

    private void awaited() {
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

    private void resultOf() {
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

    private void timers() {
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

    private void cancel(String reason) {
        finish(FlowStatus.CANCELLED, TransitionKind.CANCELLED, reason);
    }

    /** The run is over: no thread goes on. */
    private void finish(FlowStatus status, TransitionKind kind, String why) {
        instance.setStatus(status);
        instance.getThreads().clear();
        instance.setOutcome(status.name().toLowerCase(java.util.Locale.ROOT) + ": " + why);
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
            } catch (java.io.IOException e) {
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

    /** A transition in words, as decisions and {@code reflex flows show} print it. */
    public static String words(FlowTransition t) {
        return t.getKind().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ')
                + (t.getStep() == null ? "" : " " + t.getStep())
                + (t.getDetail() == null ? "" : ": " + t.getDetail());
    }

    static FlowInstance copy(FlowInstance instance) {
        FlowInstance copy = FlowInstance.newBuilder(instance).build();
        copy.setContext(new HashMap<>(instance.getContext()));
        List<FlowThread> threads = new ArrayList<>();
        for (FlowThread t : instance.getThreads()) {
            FlowThread c = FlowThread.newBuilder(t).build();
            c.setLoops(new HashMap<>(t.getLoops()));
            c.setItems(new HashMap<>(t.getItems()));
            threads.add(c);
        }
        copy.setThreads(threads);
        copy.setQueue(new ArrayList<>(instance.getQueue()));
        return copy;
    }
}
