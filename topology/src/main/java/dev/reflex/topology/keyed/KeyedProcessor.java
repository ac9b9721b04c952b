package dev.reflex.topology.keyed;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.reflex.rules.RuleBook;
import dev.reflex.rules.RuleIndex;
import dev.reflex.schemas.Action;
import dev.reflex.schemas.CorrelationInput;
import dev.reflex.schemas.CorrelationRole;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.FlowTransition;
import dev.reflex.schemas.Register;
import dev.reflex.schemas.RegisterOp;
import dev.reflex.topology.InputProgress;
import dev.reflex.topology.ProcessingListener;
import dev.reflex.topology.Registers;
import dev.reflex.topology.internals.Output;
import dev.reflex.topology.internals.RegisterReads;

/**
 * The keyed part of the topology (the {@code correlate} node): inputs arrive on {@code reflex.correlate} keyed by
 * {@code rule id/key}, so this task owns every key it sees. Correlation rules go to the {@link CorrelationKeeper}, flows
 * to the {@link FlowKeeper}; both keep their state in changelogged stores and their timers in one {@link TimerIndex},
 * fired by a wall-clock punctuator once the input is read up to their due time. State, timers, actions and decisions
 * change in the task's transaction.
 */
public final class KeyedProcessor implements Processor<String, CorrelationInput, String, SpecificRecord> {
    private static final Logger LOG = LoggerFactory.getLogger(KeyedProcessor.class);
    private static final Set<CorrelationRole> FLOW_ROLES = EnumSet.of(
            CorrelationRole.START,
            CorrelationRole.WAIT,
            CorrelationRole.RESULT,
            CorrelationRole.SIGNAL,
            CorrelationRole.CANCEL);
    /** How often due timers are looked for: a timer fires within this (plus the time to process a batch) of its time. */
    public static final Duration TICK = Duration.ofMillis(100);
    /** Most timers fired per tick, so a backlog after an outage cannot hold the thread past its transaction. */
    static final int DEADLINES_PER_TICK = 5_000;
    /** Correlation keys checked for idleness per tick at most (4,000 a second). */
    static final int SWEEP_PER_TICK = 400;
    /** Correlation keys checked for idleness per tick at least (100 a second). */
    static final int MIN_SWEEP_PER_TICK = 10;
    /**
     * How long one sweep over every correlation key takes, within those bounds: an idle key is dropped within it once
     * its windows have passed, and a large store is not read through several times a minute for that.
     */
    static final Duration SWEEP_CYCLE = Duration.ofMinutes(1);
    /** Flow instances looked at per tick (1,000 a second) for finished ones past their retention. */
    static final int FLOW_SWEEP_PER_TICK = 100;

    /**
     * The rule book, the instance named in decisions, who is told of each decision, and how far the input has been read
     * (a timer waits until its input is read up to its due time).
     */
    public record Options(RuleBook rules, String instanceId, ProcessingListener listener, InputProgress progress) {}

    /**
     * The correlation state store, the timer index (store {@code correlation-deadlines}), the flow instance and flow
     * version stores, the register values (global store, through the reads kept), and where each kind of record goes.
     */
    public record Wiring(
            String stateStore,
            String deadlineStore,
            String flowInstancesStore,
            String flowVersionsStore,
            String registersStore,
            RegisterReads registerReads,
            Output<Action> actions,
            Output<RegisterOp> registerOps,
            Output<Decision> decisions,
            Output<FlowTransition> flows) {}

    private final Options options;
    private final Wiring wiring;
    private ProcessorContext<String, SpecificRecord> context;
    private TimerIndex timers;
    private KeyValueStore<String, Register> registers;
    private CorrelationKeeper correlations;
    private FlowKeeper flows;
    private RuleIndex swept;

    public KeyedProcessor(Options options, Wiring wiring) {
        this.options = options;
        this.wiring = wiring;
    }

    @Override
    public void init(ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
        this.timers = new TimerIndex(context.getStateStore(wiring.deadlineStore()));
        this.registers = context.getStateStore(wiring.registersStore());
        KeyedRecorder recorder = new KeyedRecorder(
                context,
                new KeyedRecorder.Outputs(wiring.actions(), wiring.registerOps(), wiring.decisions(), wiring.flows()),
                options.instanceId(),
                options.listener());
        Function<String, String> values = name -> registerValue(name, context.currentSystemTimeMs());
        this.correlations = new CorrelationKeeper(
                context.getStateStore(wiring.stateStore()), timers, options.rules(), values, recorder);
        this.flows = new FlowKeeper(
                new FlowKeeper.Stores(
                        context.getStateStore(wiring.flowInstancesStore()),
                        context.getStateStore(wiring.flowVersionsStore())),
                timers,
                options.rules(),
                values,
                recorder);
        context.schedule(TICK, PunctuationType.WALL_CLOCK_TIME, this::tick);
    }

    @Override
    public void process(Record<String, CorrelationInput> record) {
        CorrelationInput input = record.value();
        if (input == null) {
            return;
        }
        long now = context.currentSystemTimeMs();
        Event event = input.getEvent();
        if (FLOW_ROLES.contains(input.getRole())) {
            flows.input(input.getRuleId(), input.getKey(), input.getRole(), event, now);
            return;
        }
        long eventTime = event.getTime() != null ? event.getTime().toEpochMilli() : record.timestamp();
        correlations.input(input, eventTime, now);
    }

    /**
     * Fires the timers due by the wall clock whose input has been read up to their due time (an event that reached
     * Kafka before a deadline was due is applied before the deadline fires), and drops the state of removed rules and of
     * idle keys.
     */
    private void tick(long now) {
        long dueBy = Math.min(now, options.progress().readUpTo(context.taskId().partition()));
        List<TimerIndex.Due> fired = timers.due(dueBy, DEADLINES_PER_TICK);
        for (TimerIndex.Due due : fired) {
            try {
                if (flows.holds(due.stateKey())) {
                    flows.timer(due, now, dueBy);
                } else {
                    correlations.deadline(due, now);
                }
            } catch (RuntimeException e) {
                // one key's state must not stop every other deadline: drop this one, loudly, with a decision saying so
                LOG.error(
                        "correlation deadline of {} due at {} could not be fired; dropped",
                        due.stateKey(),
                        Instant.ofEpochMilli(due.dueAt()),
                        e);
                correlations.dropFailed(due, now, e);
            }
        }
        if (!fired.isEmpty()) {
            options.listener().timersFired(fired.size(), now);
        }
        RuleIndex index = options.rules().index();
        if (index != swept) {
            correlations.dropChangedRules();
            flows.cancelRemoved(now);
            swept = index;
        }
        correlations.sweep(now, sweepBudget(correlations.keys()));
        // finished instances are kept a day: a slower sweep (100,000 instances in about 2 minutes) is enough, and
        // cheaper
        flows.sweep(now, FLOW_SWEEP_PER_TICK);
    }

    /** Keys to check per tick so that {@code keys} are all looked at within {@link #SWEEP_CYCLE}, within the bounds. */
    static int sweepBudget(long keys) {
        long perTick = keys / (SWEEP_CYCLE.toMillis() / TICK.toMillis());
        return (int) Math.max(MIN_SWEEP_PER_TICK, Math.min(SWEEP_PER_TICK, perTick));
    }

    private String registerValue(String name, long now) {
        Register register = wiring.registerReads().get(registers, name);
        return Registers.isUnset(register, now) ? null : register.getValue();
    }

    /** The store key of a rule's state for one correlation key, as {@code reflex.correlate} is keyed. */
    public static String stateKey(String ruleId, String key) {
        return new StateKey(ruleId, key).toString();
    }
}
