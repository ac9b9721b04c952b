package dev.reflex.topology.internals;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.reflex.rules.CompiledRule;
import dev.reflex.rules.IndexedRule;
import dev.reflex.rules.RuleBook;
import dev.reflex.rules.flow.CompiledFlow;
import dev.reflex.rules.flow.FlowRunner;
import dev.reflex.schemas.Action;
import dev.reflex.schemas.ActionIds;
import dev.reflex.schemas.CorrelationRole;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.DecisionDetail;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.FlowInstance;
import dev.reflex.schemas.FlowStatus;
import dev.reflex.schemas.FlowStep;
import dev.reflex.schemas.FlowThread;
import dev.reflex.schemas.FlowTransition;
import dev.reflex.schemas.RegisterOp;
import dev.reflex.schemas.Rule;
import dev.reflex.schemas.RuleOutcome;

/**
 * Flow instances in the correlate task: each in the changelogged store {@code flow-instances} (key flow id/key), its
 * timers (step timeouts, retry backoffs, wait deadlines) in the same timer index as correlation deadlines, and the flow
 * version each run started with in {@code flow-versions}, so a running instance keeps its version when a new one is
 * applied. Every input is one decision (detail FLOW) and its transitions on {@code reflex.flows}, in the task's transaction.
 */
final class FlowKeeper {
    private static final Logger LOG = LoggerFactory.getLogger(FlowKeeper.class);
    /** How long a finished instance is kept (for {@code reflex flows show}) before it is dropped. */
    static final long FINISHED_RETENTION_MS = 24 * 3_600_000L;

    /** Where the keeper's records go. */
    record Outputs(Output<Action> actions, Output<RegisterOp> registerOps, Output<Decision> decisions, Output<FlowTransition> flows) {
    }

    private final ProcessorContext<String, SpecificRecord> context;
    private final KeyValueStore<String, FlowInstance> instances;
    private final KeyValueStore<String, Rule> versions;
    private final CorrelationDeadlines deadlines;
    private final RuleBook rules;
    private final Function<String, String> registers;
    private final Outputs outputs;
    private final String instanceId;
    private final dev.reflex.topology.ProcessingListener listener;
    private final Map<String, CompiledFlow> compiled = new HashMap<>();
    private final Map<String, Integer> running = new HashMap<>();
    private final java.util.Set<String> remembered = new java.util.HashSet<>();
    private String sweepFrom;

    FlowKeeper(ProcessorContext<String, SpecificRecord> context, KeyValueStore<String, FlowInstance> instances,
               KeyValueStore<String, Rule> versions, CorrelationDeadlines deadlines, RuleBook rules, Function<String, String> registers,
               Outputs outputs, String instanceId, dev.reflex.topology.ProcessingListener listener) {
        this.context = context;
        this.instances = instances;
        this.versions = versions;
        this.deadlines = deadlines;
        this.rules = rules;
        this.registers = registers;
        this.outputs = outputs;
        this.instanceId = instanceId;
        this.listener = listener;
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
        String stateKey = CorrelateProcessor.stateKey(flowId, key);
        FlowInstance before = instances.get(stateKey);
        FlowRunner.Input input = new FlowRunner.Input(role, event, role == CorrelationRole.CANCEL ? reason(event) : null);
        if (current == null && (before == null || version(before) == null)) {
            record(flowId, "", new Step(key, input, before, 0, now, Map.of()), event.getId(), event, List.of(), List.of(), List.of(),
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
    void timer(CorrelationDeadlines.Due due, long now, long dueBy) {
        FlowInstance before = instances.get(due.stateKey());
        if (before == null || before.getThreads().stream().noneMatch(t -> t.getDueAt() != null && t.getDueAt() <= now)) {
            deadlines.forget(due);
            return;
        }
        if (before.getThreads().stream().anyMatch(t -> t.getDueAt() != null && t.getDueAt() > dueBy && t.getDueAt() <= now)) {
            return;
        }
        String flowId = before.getFlowId();
        CompiledFlow flow = current(flowId) != null ? current(flowId) : version(before);
        String cause = "flow-timer-" + ActionIds.hash(due.stateKey(), Integer.toString(before.getRun()), Long.toString(due.dueAt()));
        apply(flow, due.stateKey(), before.getKey(), before, new FlowRunner.Input(CorrelationRole.TIMER, null, null), cause, null, now);
    }

    /** Cancels the running instances of flows that are no longer in the rule book. */
    void cancelRemoved(long now) {
        // only flows with runs going here and no longer in the rule book: their keys are one prefix scan each
        List<String> removed = running.entrySet().stream().filter(e -> e.getValue() > 0 && current(e.getKey()) == null)
            .map(Map.Entry::getKey).toList();
        List<KeyValue<String, FlowInstance>> orphans = new ArrayList<>();
        for (String flowId : removed) {
            try (KeyValueIterator<String, FlowInstance> it = instances.prefixScan(flowId + "/",
                    org.apache.kafka.common.serialization.Serdes.String().serializer())) {
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
            apply(flow, orphan.key, orphan.value.getKey(), orphan.value,
                new FlowRunner.Input(CorrelationRole.CANCEL, null, "the flow was removed"), cause, null, now);
        }
    }

    /** Drops a few finished instances kept past their retention. */
    void sweep(long now, int limit) {
        int looked = 0;
        String last = null;
        List<String> drop = new ArrayList<>();
        try (KeyValueIterator<String, FlowInstance> it = sweepFrom == null ? instances.all() : instances.range(sweepFrom, null)) {
            while (it.hasNext() && looked < limit) {
                KeyValue<String, FlowInstance> next = it.next();
                looked++;
                last = next.key;
                if (next.value.getStatus() != FlowStatus.RUNNING && next.value.getUpdatedAt() < now - FINISHED_RETENTION_MS) {
                    drop.add(next.key);
                }
            }
        }
        drop.forEach(instances::delete);
        sweepFrom = looked < limit || last == null ? null : last + "\u0000";
    }

    private void apply(CompiledFlow flow, String stateKey, String key, FlowInstance before, FlowRunner.Input input, String cause,
                       Event event, long now) {
        CompiledFlow current = current(flow.id());
        FlowRunner.Result result;
        int runs = running.getOrDefault(flow.id(), 0);
        Map<String, String> read = new java.util.TreeMap<>();
        Function<String, String> recording = name -> {
            String value = registers.apply(name);
            read.putIfAbsent(name, value);
            return value;
        };
        Step step = new Step(key, input, before, runs, now, read);
        try {
            result = FlowRunner.apply(current != null ? current : flow, v -> version(flow.id() + "@" + v), before, key, input, recording, now,
                runs, cause);
        } catch (RuntimeException e) {
            // a bug, not a flow's mistake (those are transitions): fail the instance, so its timers cannot fail again and again
            LOG.error("flow {} key {}: the input could not be applied; the instance is failed", flow.id(), key, e);
            if (before != null && before.getStatus() == FlowStatus.RUNNING) {
                FlowInstance failed = FlowInstance.newBuilder(before).setStatus(FlowStatus.FAILED).setThreads(new ArrayList<>())
                    .setOutcome("failed: the engine could not apply an input: " + e).setUpdatedAt(now).build();
                instances.put(stateKey, failed);
                deadlines.moveAll(stateKey, dues(before), List.of());
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
        deadlines.moveAll(stateKey, dues(before), dues(after));
        count(before, -1);
        count(after, 1);
        long ts = now;
        for (FlowTransition t : result.transitions()) {
            outputs.flows().forward(context, new Record<>(stateKey, t, ts));
        }
        for (Action action : result.actions()) {
            outputs.actions().forward(context, new Record<>(action.getTarget() != null ? action.getTarget() : action.getEventId(), action, ts));
        }
        for (RegisterOp op : result.registerOps()) {
            outputs.registerOps().forward(context, new Record<>(op.getName(), op, ts));
        }
        record(flow.id(), after != null ? after.getVersion() : (current != null ? current : flow).version(), step, cause, event,
            result.transitions(), result.actions(), result.registerOps(), null);
    }

    /** What one input met: recorded with its decision so an audit can take the step again. */
    private record Step(String key, FlowRunner.Input input, FlowInstance before, int running, long now, Map<String, String> read) {
    }

    private void record(String flowId, String version, Step step, String cause, Event event,
                        List<FlowTransition> transitions, List<Action> actions, List<RegisterOp> ops, String error) {
        String key = step.key();
        CorrelationRole role = step.input().role();
        List<String> words = transitions.stream().map(FlowRunner::words).toList();
        boolean moved = transitions.stream().anyMatch(t -> t.getKind() != dev.reflex.schemas.TransitionKind.IGNORED);
        RuleOutcome outcome = RuleOutcome.newBuilder().setRuleId(flowId).setRuleVersion(version)
            .setOutcome(error != null ? dev.reflex.schemas.Outcome.ERROR : moved ? dev.reflex.schemas.Outcome.ADVANCED : dev.reflex.schemas.Outcome.IGNORED)
            .setDetail(error != null ? error : String.join("; ", words))
            .setFlow(FlowStep.newBuilder().setKey(key).setRole(role).setSeen(step.before()).setInput(step.input().event())
                .setReason(step.input().reason()).setRunning(step.running()).setTransitions(words).build())
            .build();
        Decision decision = Decision.newBuilder()
            .setEventId(cause)
            .setEventSource(event == null ? "reflex" : event.getSource())
            .setEventType(event == null ? "flow." + role.name().toLowerCase() : event.getType())
            .setSubject(event == null ? key : event.getSubject())
            .setDecidedAt(Instant.ofEpochMilli(step.now()))
            .setRegistersRead(step.read())
            .setEngineInstance(instanceId)
            .setRules(List.of(outcome))
            .setRulesConsidered(1)
            .setActionIds(actions.stream().map(Action::getId).toList())
            .setRegisterOps(ops.stream().map(op -> op.getOp().name().toLowerCase() + ":" + op.getName()).toList())
            .setDetail(DecisionDetail.FLOW)
            .build();
        outputs.decisions().forward(context, new Record<>(cause, decision, step.now()));
        listener.decided(decision, event == null ? null : event.getTime());
    }

    /** Keeps the definition of the version an instance runs, so it can run on after a newer one is applied. */
    private void remember(FlowInstance instance) {
        String id = instance.getFlowId() + "@" + instance.getVersion();
        if (remembered.add(id) && versions.get(id) == null) {
            rules.get(instance.getFlowId()).filter(r -> r.version().equals(instance.getVersion())).ifPresent(r -> versions.put(id, r.rule()));
        }
    }

    /** The flow of an instance's version, from the version store; null when it is not kept. */
    private CompiledFlow version(FlowInstance instance) {
        return version(instance.getFlowId() + "@" + instance.getVersion());
    }

    private CompiledFlow version(String idAtVersion) {
        if (!idAtVersion.contains("@")) {
            return null;
        }
        return compiled.computeIfAbsent(idAtVersion, id -> {
            Rule rule = versions.get(id);
            if (rule == null) {
                String flowId = id.substring(0, id.indexOf('@'));
                CompiledFlow current = current(flowId);
                return current != null && id.equals(flowId + "@" + current.version()) ? current : null;
            }
            try {
                return CompiledRule.compile(rule).flow();
            } catch (dev.reflex.rules.expr.RuleException e) {
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
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(event.getData()).path("reason").asText("cancelled");
        } catch (java.io.IOException e) {
            return "cancelled";
        }
    }
}
