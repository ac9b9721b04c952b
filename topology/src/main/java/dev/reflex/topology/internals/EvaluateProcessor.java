package dev.reflex.topology.internals;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.reflex.rules.Evaluation;
import dev.reflex.rules.Evaluator;
import dev.reflex.rules.RuleBook;
import dev.reflex.schemas.Action;
import dev.reflex.schemas.CorrelationInput;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.DecisionDetail;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.Register;
import dev.reflex.schemas.RegisterOp;
import dev.reflex.topology.ProcessingListener;
import dev.reflex.topology.Registers;
import dev.reflex.topology.UnmatchedDecisions;
import dev.reflex.topology.keyed.KeyedProcessor;

/**
 * Evaluates each event against the rules that can match it; emits actions, register operations and one decision, and
 * hands events that match a correlation rule to correlation, keyed by rule and correlation key.
 */
public final class EvaluateProcessor implements Processor<String, Event, String, SpecificRecord> {
    private static final Logger LOG = LoggerFactory.getLogger(EvaluateProcessor.class);

    /**
     * @param rules      the rule book the rules topic fills
     * @param instanceId named in each decision
     * @param slowBudget the evaluation time over which a rule is quarantined
     * @param unmatched  what is recorded for an event no rule matched
     * @param listener   told of each evaluation and decision recorded (the engine counts them and keeps recent ones)
     */
    public record Options(
            RuleBook rules,
            String instanceId,
            Duration slowBudget,
            UnmatchedDecisions unmatched,
            ProcessingListener listener) {}

    /** The register values it reads (the global store, through the reads kept) and where each kind of record it emits goes. */
    public record Wiring(
            String registersStore,
            RegisterReads registerReads,
            Output<Action> actions,
            Output<RegisterOp> registerOps,
            Output<Decision> decisions,
            Output<CorrelationInput> correlations) {}

    private final Options options;
    private final Wiring wiring;
    private final long slowMicros;
    private ProcessorContext<String, SpecificRecord> context;
    private ReadOnlyKeyValueStore<String, Register> registers;

    public EvaluateProcessor(Options options, Wiring wiring) {
        this.options = options;
        this.wiring = wiring;
        this.slowMicros = options.slowBudget().toNanos() / 1_000;
    }

    @Override
    public void init(ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
        this.registers = context.getStateStore(wiring.registersStore());
    }

    @Override
    public void process(Record<String, Event> record) {
        Event event = record.value();
        if (event == null) {
            return;
        }
        Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());
        Evaluation evaluation =
                Evaluator.evaluate(event, options.rules().index(), this::registerValue, now, slowMicros);
        options.listener().evaluated(event, evaluation.micros());
        for (Evaluation.SlowRule slow : evaluation.slowRules()) {
            String reason = "evaluation took " + slow.micros() / 1_000 + " ms on event " + event.getId()
                    + ", over the budget of " + slowMicros / 1_000
                    + " ms (reflex.rule.slow.ms); apply a new version to lift this";
            LOG.warn(
                    "rule {} version {} quarantined: {}",
                    slow.rule().getId(),
                    slow.rule().getVersion(),
                    reason);
            options.rules().quarantineIfCurrent(slow.rule(), reason);
        }
        for (Action action : evaluation.actions()) {
            String key = action.getTarget() != null ? action.getTarget() : action.getEventId();
            wiring.actions().forward(context, new Record<>(key, action, record.timestamp()));
        }
        for (RegisterOp op : evaluation.registerOps()) {
            wiring.registerOps().forward(context, new Record<>(op.getName(), op, record.timestamp()));
        }
        for (CorrelationInput input : evaluation.correlations()) {
            wiring.correlations()
                    .forward(
                            context,
                            new Record<>(
                                    KeyedProcessor.stateKey(input.getRuleId(), input.getKey()),
                                    input,
                                    record.timestamp()));
        }
        Decision decision = decision(evaluation, event, now);
        if (decision != null) {
            wiring.decisions().forward(context, new Record<>(event.getId(), decision, record.timestamp()));
            options.listener().decided(decision, event.getTime());
        }
    }

    private Decision decision(Evaluation evaluation, Event event, Instant now) {
        if (evaluation.matchedAny()) {
            return evaluation.toDecision(event, options.instanceId(), now);
        }
        return switch (options.unmatched()) {
            case FULL -> evaluation.toDecision(event, options.instanceId(), now);
            case SUMMARY -> {
                Decision summary = evaluation.toDecision(event, options.instanceId(), now);
                summary.setRules(List.of());
                summary.setRegistersRead(Map.of());
                summary.setDetail(DecisionDetail.SUMMARY);
                yield summary;
            }
            case NONE -> null;
        };
    }

    private String registerValue(String name) {
        Register register = wiring.registerReads().get(registers, name);
        return Registers.isUnset(register, context.currentSystemTimeMs()) ? null : register.getValue();
    }
}
