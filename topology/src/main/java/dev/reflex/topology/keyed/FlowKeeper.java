package dev.reflex.topology.keyed;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.reflex.rules.CompiledRule;
import dev.reflex.rules.IndexedRule;
import dev.reflex.rules.RuleBook;
import dev.reflex.rules.expr.RuleException;
import dev.reflex.rules.flow.CompiledFlow;
import dev.reflex.rules.flow.FlowRunner;
import dev.reflex.schemas.Action;
import dev.reflex.schemas.ActionIds;
import dev.reflex.schemas.CorrelationRole;
import dev.reflex.schemas.DecisionDetail;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.FlowInstance;
import dev.reflex.schemas.FlowStatus;
import dev.reflex.schemas.FlowStep;
import dev.reflex.schemas.FlowThread;
import dev.reflex.schemas.FlowTransition;
import dev.reflex.schemas.Outcome;
import dev.reflex.schemas.RegisterOp;
import dev.reflex.schemas.Rule;
import dev.reflex.schemas.RuleOutcome;
import dev.reflex.schemas.TransitionKind;

/**
 * Flow instances in the correlate task: each in the changelogged store {@code flow-instances} (key flow id/key), its
 * timers (step timeouts, retry backoffs, wait deadlines) in the same timer index as correlation deadlines, and the flow
 * version each run started with in {@code flow-versions}, so a running instance keeps its version when a new one is
 * applied. Every input is one decision (detail FLOW) and its transitions on {@code reflex.flows}, in the task's
 * transaction.
 */
final class FlowKeeper {
    private static final Logger LOG = LoggerFactory.getLogger(FlowKeeper.class);
    /** How long a finished instance is kept (for {@code reflex flows show}) before it is dropped. */
    static final long FINISHED_RETENTION_MS = 24 * 3_600_000L;

    /** The stores of flows: instances by state key, and each version an instance runs by {@link FlowVersion}. */
    record Stores(KeyValueStore<String, FlowInstance> instances, KeyValueStore<String, Rule> versions) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    private final KeyValueStore<String, FlowInstance> instances;
    private final KeyValueStore<String, Rule> versions;
    private final TimerIndex timers;
    private final RuleBook rules;
    private final Function<String, String> registers;
    private final KeyedRecorder recorder;
    private final Map<String, CompiledFlow> compiled = new HashMap<>();
    private final Map<String, Integer> running = new HashMap<>();
    private final Set<String> remembered = new HashSet<>();
    private String sweepFrom;

    FlowKeeper(
            Stores stores,
            TimerIndex timers,
            RuleBook rules,
            Function<String, String> registers,
            KeyedRecorder recorder) {
        this.instances = stores.instances();
        this.versions = stores.versions();
        this.timers = timers;
        this.rules = rules;
        this.registers = registers;
        this.recorder = recorder;
        // the running counts are derived from the restored store, so they survive a restart
        try (KeyValueIterator<String, FlowInstance> it = instances.all()) {
            it.forEachRemaining(kv -> {
                if (kv.value.getStatus() == FlowStatus.RUNNING) {
                    running.merge(kv.value.getFlowId(), 1, Integer::sum);
                }
            });
        }
    }

    /** The flow of {@code ruleId} as it is now, or null when that id is not a flow. */
    CompiledFlow current(String ruleId) {
        IndexedRule rule = rules.get(ruleId).orElse(null);
        return rule instanceof CompiledRule c ? c.flow() : null;
    }

    /** Whether {@code stateKey} holds a flow instance (rather than a correlation rule's state). */
    boolean holds(String stateKey) {
        return instances.get(stateKey) != null;
    }

    /** One input from reflex.correlate (a start, an awaited event, a result, a signal or a cancel). */
    void input(String flowId, String key, CorrelationRole role, Event event, long now) {
        CompiledFlow current = current(flowId);
        String stateKey = new StateKey(flowId, key).toString();
        FlowInstance before = instances.get(stateKey);
        FlowRunner.Input input =
                new FlowRunner.Input(role, event, role == CorrelationRole.CANCEL ? reason(event) : null);
        if (current == null && (before == null || version(before) == null)) {
            record(
                    flowId,
                    "",
                    new Step(key, input, before, 0, now, Map.of()),
                    event.getId(),
                    event,
                    List.of(),
                    List.of(),
                    List.of(),
                    "the flow was removed before this input");
            return;
        }
        apply(current != null ? current : version(before), stateKey, key, before, input, event.getId(), event, now);
    }

    /**
     * A due timer of {@code stateKey}: its instance's threads due by {@code now} time out, or their backoff ends. While the
     * input is read only up to {@code dueBy} (earlier than now), an instance with a thread due after it waits whole, so
     * the timers that fire together are those due by the wall clock, as the decision records and an audit replays them.
     */
    void timer(TimerIndex.Due due, long now, long dueBy) {
        FlowInstance before = instances.get(due.stateKey());
        if (before == null
                || before.getThreads().stream().noneMatch(t -> t.getDueAt() != null && t.getDueAt() <= now)) {
            timers.forget(due);
            return;
        }
        if (before.getThreads().stream()
                .anyMatch(t -> t.getDueAt() != null && t.getDueAt() > dueBy && t.getDueAt() <= now)) {
            return;
        }
        String flowId = before.getFlowId();
        CompiledFlow flow = current(flowId) != null ? current(flowId) : version(before);
        String cause = "flow-timer-"
                + ActionIds.hash(due.stateKey(), Integer.toString(before.getRun()), Long.toString(due.dueAt()));
        apply(
                flow,
                due.stateKey(),
                before.getKey(),
                before,
                new FlowRunner.Input(CorrelationRole.TIMER, null, null),
                cause,
                null,
                now);
    }

    /** Cancels the running instances of flows that are no longer in the rule book. */
    void cancelRemoved(long now) {
        // only flows with runs going here and no longer in the rule book: their keys are one prefix scan each
        List<String> removed = running.entrySet().stream()
                .filter(e -> e.getValue() > 0 && current(e.getKey()) == null)
                .map(Map.Entry::getKey)
                .toList();
        List<KeyValue<String, FlowInstance>> orphans = new ArrayList<>();
        for (String flowId : removed) {
            try (KeyValueIterator<String, FlowInstance> it = instances.prefixScan(
                    StateKey.prefix(flowId), Serdes.String().serializer())) {
                it.forEachRemaining(kv -> {
                    if (kv.value.getStatus() == FlowStatus.RUNNING) {
                        orphans.add(kv);
                    }
                });
            }
        }
        for (KeyValue<String, FlowInstance> orphan : orphans) {
            CompiledFlow flow = version(orphan.value);
            if (flow == null) {
                continue;
            }
            String cause = "flow-cancel-" + ActionIds.hash(orphan.key, Integer.toString(orphan.value.getRun()));
            apply(
                    flow,
                    orphan.key,
                    orphan.value.getKey(),
                    orphan.value,
                    new FlowRunner.Input(CorrelationRole.CANCEL, null, "the flow was removed"),
                    cause,
                    null,
                    now);
        }
    }

    /** Drops a few finished instances kept past their retention. */
    void sweep(long now, int limit) {
        int looked = 0;
        String last = null;
        List<String> drop = new ArrayList<>();
        try (KeyValueIterator<String, FlowInstance> it =
                sweepFrom == null ? instances.all() : instances.range(sweepFrom, null)) {
            while (it.hasNext() && looked < limit) {
                KeyValue<String, FlowInstance> next = it.next();
                looked++;
                last = next.key;
                if (next.value.getStatus() != FlowStatus.RUNNING
                        && next.value.getUpdatedAt() < now - FINISHED_RETENTION_MS) {
                    drop.add(next.key);
                }
            }
        }
        drop.forEach(instances::delete);
        sweepFrom = looked < limit || last == null ? null : last + "\u0000";
    }

    private void apply(
            CompiledFlow flow,
            String stateKey,
            String key,
            FlowInstance before,
            FlowRunner.Input input,
            String cause,
            Event event,
            long now) {
        CompiledFlow current = current(flow.id());
        FlowRunner.Result result;
        int runs = running.getOrDefault(flow.id(), 0);
        Map<String, String> read = new TreeMap<>();
        Function<String, String> recording = KeyedRecorder.recording(registers, read);
        Step step = new Step(key, input, before, runs, now, read);
        try {
            result = FlowRunner.apply(
                    current != null ? current : flow,
                    v -> version(new FlowVersion(flow.id(), v)),
                    before,
                    key,
                    input,
                    recording,
                    now,
                    runs,
                    cause);
        } catch (RuntimeException e) {
            // a bug, not a flow's mistake (those are transitions): fail the instance, so its timers cannot fail again
            // and again
            LOG.error("flow {} key {}: the input could not be applied; the instance is failed", flow.id(), key, e);
            if (before != null && before.getStatus() == FlowStatus.RUNNING) {
                FlowInstance failed = FlowInstance.newBuilder(before)
                        .setStatus(FlowStatus.FAILED)
                        .setThreads(new ArrayList<>())
                        .setOutcome("failed: the engine could not apply an input: " + e)
                        .setUpdatedAt(now)
                        .build();
                instances.put(stateKey, failed);
                timers.moveAll(stateKey, dues(before), List.of());
                count(before, -1);
            }
            record(flow.id(), flow.version(), step, cause, event, List.of(), List.of(), List.of(), "error: " + e);
            return;
        }
        FlowInstance after = result.instance();
        if (after != null) {
            remember(after);
            instances.put(stateKey, after);
        }
        timers.moveAll(stateKey, dues(before), dues(after));
        count(before, -1);
        count(after, 1);
        recorder.transitions(stateKey, result.transitions(), now);
        recorder.emit(result.actions(), result.registerOps(), now);
        record(
                flow.id(),
                after != null ? after.getVersion() : (current != null ? current : flow).version(),
                step,
                cause,
                event,
                result.transitions(),
                result.actions(),
                result.registerOps(),
                null);
    }

    /** What one input met: recorded with its decision so an audit can take the step again. */
    private record Step(
            String key, FlowRunner.Input input, FlowInstance before, int running, long now, Map<String, String> read) {}

    private void record(
            String flowId,
            String version,
            Step step,
            String cause,
            Event event,
            List<FlowTransition> transitions,
            List<Action> actions,
            List<RegisterOp> ops,
            String error) {
        String key = step.key();
        CorrelationRole role = step.input().role();
        List<String> words = transitions.stream().map(FlowRunner::words).toList();
        boolean moved = transitions.stream().anyMatch(t -> t.getKind() != TransitionKind.IGNORED);
        RuleOutcome outcome = RuleOutcome.newBuilder()
                .setRuleId(flowId)
                .setRuleVersion(version)
                .setOutcome(error != null ? Outcome.ERROR : moved ? Outcome.ADVANCED : Outcome.IGNORED)
                .setDetail(error != null ? error : String.join("; ", words))
                .setFlow(FlowStep.newBuilder()
                        .setKey(key)
                        .setRole(role)
                        .setSeen(step.before())
                        .setInput(step.input().event())
                        .setReason(step.input().reason())
                        .setRunning(step.running())
                        .setTransitions(words)
                        .build())
                .build();
        recorder.decide(
                cause,
                event,
                "flow." + role.name().toLowerCase(),
                key,
                new KeyedRecorder.Step(outcome, actions, ops, step.read()),
                DecisionDetail.FLOW,
                step.now());
    }

    /** Keeps the definition of the version an instance runs, so it can run on after a newer one is applied. */
    private void remember(FlowInstance instance) {
        String id = new FlowVersion(instance.getFlowId(), instance.getVersion()).toString();
        if (remembered.add(id) && versions.get(id) == null) {
            rules.get(instance.getFlowId())
                    .filter(r -> r.version().equals(instance.getVersion()))
                    .ifPresent(r -> versions.put(id, r.rule()));
        }
    }

    /** The flow of an instance's version, from the version store; null when it is not kept. */
    private CompiledFlow version(FlowInstance instance) {
        return version(new FlowVersion(instance.getFlowId(), instance.getVersion()));
    }

    private CompiledFlow version(FlowVersion version) {
        return compiled.computeIfAbsent(version.toString(), id -> {
            Rule rule = versions.get(id);
            if (rule == null) {
                CompiledFlow current = current(version.flowId());
                return current != null && version.version().equals(current.version()) ? current : null;
            }
            try {
                return CompiledRule.compile(rule).flow();
            } catch (RuleException e) {
                LOG.error("flow {} could not be compiled again: {}", id, e.getMessage());
                return null;
            }
        });
    }

    private static List<Long> dues(FlowInstance instance) {
        List<Long> dues = new ArrayList<>();
        if (instance != null) {
            for (FlowThread t : instance.getThreads()) {
                if (t.getDueAt() != null && !dues.contains(t.getDueAt())) {
                    dues.add(t.getDueAt());
                }
            }
        }
        return dues;
    }

    private void count(FlowInstance instance, int delta) {
        if (instance != null && instance.getStatus() == FlowStatus.RUNNING) {
            running.merge(instance.getFlowId(), delta, Integer::sum);
        }
    }

    private static String reason(Event event) {
        if (event == null || event.getData() == null) {
            return "cancelled";
        }
        try {
            return JSON.readTree(event.getData()).path("reason").asText("cancelled");
        } catch (IOException e) {
            return "cancelled";
        }
    }
}
