package dev.reflex.topology.keyed;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

import dev.reflex.schemas.Action;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.DecisionDetail;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.FlowTransition;
import dev.reflex.schemas.RegisterOp;
import dev.reflex.schemas.RuleOutcome;
import dev.reflex.topology.ProcessingListener;
import dev.reflex.topology.internals.Output;

/**
 * What a keyed step writes, in the task's transaction: its actions (keyed by target), register operations (by name),
 * flow transitions (by state key) and one decision per step, detail CORRELATION or FLOW, which records what the step
 * saw so an audit can take it again.
 */
final class KeyedRecorder {
    /** Where each kind of record goes. */
    record Outputs(
            Output<Action> actions,
            Output<RegisterOp> registerOps,
            Output<Decision> decisions,
            Output<FlowTransition> flows) {}

    /** What a step did, to record: its outcome, what it emitted and the registers it read. */
    record Step(
            RuleOutcome outcome,
            List<Action> actions,
            List<RegisterOp> registerOps,
            Map<String, String> registersRead) {}

    private final ProcessorContext<String, SpecificRecord> context;
    private final Outputs outputs;
    private final String instanceId;
    private final ProcessingListener listener;

    KeyedRecorder(
            ProcessorContext<String, SpecificRecord> context,
            Outputs outputs,
            String instanceId,
            ProcessingListener listener) {
        this.context = context;
        this.outputs = outputs;
        this.instanceId = instanceId;
        this.listener = listener;
    }

    /** {@code registers}, remembering into {@code read} the first value each register had. */
    static Function<String, String> recording(Function<String, String> registers, Map<String, String> read) {
        return name -> {
            String value = registers.apply(name);
            read.putIfAbsent(name, value);
            return value;
        };
    }

    void emit(List<Action> actions, List<RegisterOp> registerOps, long now) {
        for (Action action : actions) {
            outputs.actions()
                    .forward(
                            context,
                            new Record<>(
                                    action.getTarget() != null ? action.getTarget() : action.getEventId(),
                                    action,
                                    now));
        }
        for (RegisterOp op : registerOps) {
            outputs.registerOps().forward(context, new Record<>(op.getName(), op, now));
        }
    }

    void transitions(String stateKey, List<FlowTransition> transitions, long now) {
        for (FlowTransition t : transitions) {
            outputs.flows().forward(context, new Record<>(stateKey, t, now));
        }
    }

    /**
     * Records the decision of a step under {@code id}: of {@code event}, or, when the step had none (a timer, a cancel, a
     * deadline), of source {@code reflex} with type {@code ownType} and the key as subject.
     */
    void decide(String id, Event event, String ownType, String key, Step step, DecisionDetail detail, long now) {
        Decision decision = Decision.newBuilder()
                .setEventId(id)
                .setEventSource(event == null ? "reflex" : event.getSource())
                .setEventType(event == null ? ownType : event.getType())
                .setSubject(event == null ? key : event.getSubject())
                .setDecidedAt(Instant.ofEpochMilli(now))
                .setEngineInstance(instanceId)
                .setRules(List.of(step.outcome()))
                .setRulesConsidered(1)
                .setActionIds(step.actions().stream().map(Action::getId).toList())
                .setRegisterOps(step.registerOps().stream()
                        .map(op -> op.getOp().name().toLowerCase() + ":" + op.getName())
                        .toList())
                .setRegistersRead(step.registersRead())
                .setDetail(detail)
                .build();
        outputs.decisions().forward(context, new Record<>(id, decision, now));
        listener.decided(decision, event == null ? null : event.getTime());
    }
}
