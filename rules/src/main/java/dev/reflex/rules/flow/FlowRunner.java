package dev.reflex.rules.flow;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

import dev.reflex.schemas.Action;
import dev.reflex.schemas.CorrelationRole;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.FlowInstance;
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
    private FlowRunner() {}

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
            FlowRun r = new FlowRun(current, copy, input, registers, now, cause);
            r.transition(
                    TransitionKind.IGNORED, null, null, "no run of " + current.id + " for key '" + key + "' is going");
            return r.result(copy, key);
        }
        CompiledFlow flow = versions.apply(copy.getVersion());
        if (flow == null) {
            flow = current;
        }
        FlowRun r = new FlowRun(flow, copy, input, registers, now, cause);
        switch (input.role()) {
            case WAIT, SIGNAL -> r.awaited();
            case RESULT -> r.resultOf();
            case TIMER -> r.timers();
            case CANCEL -> r.cancel(input.reason());
            default -> throw new IllegalArgumentException(input.role() + " is not a flow input");
        }
        return next(r, current, versions, key, running);
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
        FlowRun r = new FlowRun(current, before, input, registers, now, cause);
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
        FlowRun fresh =
                new FlowRun(current, newRun(current, before, key, input.event(), now), input, registers, now, cause);
        fresh.transitions.addAll(r.transitions);
        fresh.begin();
        return next(fresh, current, versions, key, running + 1);
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

    /** After the input: a finished run with starts queued begins the next one. */
    private static Result next(
            FlowRun r, CompiledFlow current, Function<String, CompiledFlow> versions, String key, int running) {
        if (r.instance != null
                && r.instance.getStatus() != FlowStatus.RUNNING
                && !r.instance.getQueue().isEmpty()) {
            Event queued = r.instance.getQueue().remove(0);
            Result then = start(
                    current,
                    versions,
                    r.instance,
                    key,
                    new Input(CorrelationRole.START, queued, null),
                    r.registers,
                    r.now,
                    running - 1,
                    r.cause);
            List<FlowTransition> all = new ArrayList<>(r.transitions);
            all.addAll(then.transitions());
            List<Action> acts = new ArrayList<>(r.actions);
            acts.addAll(then.actions());
            List<RegisterOp> regs = new ArrayList<>(r.ops);
            regs.addAll(then.registerOps());
            return new Result(then.instance(), Outcome.ADVANCED, all, acts, regs);
        }
        return r.result(r.instance, key);
    }

    /** A transition in words, as decisions and {@code reflex flows show} print it. */
    public static String words(FlowTransition t) {
        return t.getKind().name().toLowerCase(Locale.ROOT).replace('_', ' ')
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
