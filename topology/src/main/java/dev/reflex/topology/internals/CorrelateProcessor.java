package dev.reflex.topology.internals;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.reflex.rules.CompiledRule;
import dev.reflex.rules.Evaluation;
import dev.reflex.rules.IndexedRule;
import dev.reflex.rules.QuarantinedRule;
import dev.reflex.rules.RuleBook;
import dev.reflex.rules.RuleIndex;
import dev.reflex.rules.correlate.Correlator;
import dev.reflex.schemas.Action;
import dev.reflex.schemas.CorrelationInput;
import dev.reflex.schemas.CorrelationState;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.DecisionDetail;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.FlowTransition;
import dev.reflex.schemas.Outcome;
import dev.reflex.schemas.Register;
import dev.reflex.schemas.RegisterOp;
import dev.reflex.schemas.RuleOutcome;
import dev.reflex.topology.Registers;

/**
 * Correlation and flows: events that matched a correlation rule or concern a flow arrive keyed by {@code rule id/key}, so
 * this task owns every key it sees; flow inputs go to the {@link FlowKeeper}, which shares the timer index. Each key's state is in a changelogged store; armed deadlines are in a changelogged timer index,
 * fired by a wall-clock punctuator. State, timers, actions and decisions change in the task's transaction. Each step is
 * recorded as a decision (detail CORRELATION) with the state it saw, keyed by the event id, or by the firing id for a
 * deadline.
 */
public final class CorrelateProcessor implements Processor<String, CorrelationInput, String, SpecificRecord> {
    private static final Logger LOG = LoggerFactory.getLogger(CorrelateProcessor.class);
    private static final java.util.Set<dev.reflex.schemas.CorrelationRole> FLOW_ROLES = java.util.EnumSet.of(
        dev.reflex.schemas.CorrelationRole.START, dev.reflex.schemas.CorrelationRole.WAIT, dev.reflex.schemas.CorrelationRole.RESULT,
        dev.reflex.schemas.CorrelationRole.SIGNAL, dev.reflex.schemas.CorrelationRole.CANCEL);
    /** How often due deadlines are looked for: a deadline fires within this (plus the time to process a batch) of its time. */
    public static final Duration TICK = Duration.ofMillis(500);
    /** Most deadlines fired per tick, so a backlog after an outage cannot hold the thread past its transaction. */
    static final int DEADLINES_PER_TICK = 5_000;
    /** Keys checked for idleness per tick: the whole store is swept every (keys / this) ticks. */
    static final int SWEEP_PER_TICK = 2_000;
    /** Flow instances looked at per tick for finished ones past their retention. */
    static final int FLOW_SWEEP_PER_TICK = 500;

    /**
     * The rule book, the instance named in decisions, who is told of each decision, and how far the input has been read
     * (a deadline waits until its input is read up to its due time).
     */
    public record Options(RuleBook rules, String instanceId, dev.reflex.topology.ProcessingListener listener,
                          dev.reflex.topology.InputProgress progress) {
    }

    /**
     * The correlation state store, the deadline index (shared with flows), the flow instance and flow version stores, the
     * register values (global store, through the reads kept), and where each kind of record goes.
     */
    public record Wiring(String stateStore, String deadlineStore, String flowInstancesStore, String flowVersionsStore,
                         String registersStore, RegisterReads registerReads, Output<Action> actions, Output<RegisterOp> registerOps,
                         Output<Decision> decisions, Output<FlowTransition> flows) {
    }

    private final Options options;
    private final Wiring wiring;
    private ProcessorContext<String, SpecificRecord> context;
    private KeyValueStore<String, CorrelationState> states;
    private CorrelationDeadlines deadlines;
    private KeyValueStore<String, Register> registers;
    private FlowKeeper flows;
    private RuleIndex swept;
    private final Map<String, String> shapes = new HashMap<>();
    private String sweepFrom;

    public CorrelateProcessor(Options options, Wiring wiring) {
        this.options = options;
        this.wiring = wiring;
    }

    @Override
    public void init(ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
        this.states = context.getStateStore(wiring.stateStore());
        this.deadlines = new CorrelationDeadlines(context.getStateStore(wiring.deadlineStore()));
        this.registers = context.getStateStore(wiring.registersStore());
        this.flows = new FlowKeeper(context, context.getStateStore(wiring.flowInstancesStore()), context.getStateStore(wiring.flowVersionsStore()),
            deadlines, options.rules(), name -> registerValue(name, context.currentSystemTimeMs()),
            new FlowKeeper.Outputs(wiring.actions(), wiring.registerOps(), wiring.decisions(), wiring.flows()),
            options.instanceId(), options.listener());
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
        String stateKey = stateKey(input.getRuleId(), input.getKey());
        if (FLOW_ROLES.contains(input.getRole())) {
            flows.input(input.getRuleId(), input.getKey(), input.getRole(), event, now);
            return;
        }
        IndexedRule rule = options.rules().get(input.getRuleId()).orElse(null);
        RuleOutcome.Builder outcome = RuleOutcome.newBuilder().setRuleId(input.getRuleId()).setRuleVersion(input.getRuleVersion());
        if (!(rule instanceof CompiledRule compiled) || compiled.correlation() == null || !rule.rule().getEnabled()) {
            outcome.setOutcome(rule instanceof QuarantinedRule ? Outcome.QUARANTINED : rule == null ? Outcome.ERROR : Outcome.DISABLED)
                .setDetail(rule == null ? "the rule was removed before its correlation step" : rule instanceof QuarantinedRule q
                    ? q.reason() : rule.rule().getEnabled() ? "the rule no longer correlates" : null);
            record(event.getId(), event, input.getKey(), outcome.build(), null, now);
            return;
        }
        long eventTime = event.getTime() != null ? event.getTime().toEpochMilli() : record.timestamp();
        CorrelationState before = states.get(stateKey);
        Correlator.Step step = Correlator.onEvent(compiled, before, input.getRole(), input.getKey(), event, eventTime, now);
        save(stateKey, before, step.state());
        outcome.setRuleVersion(compiled.version()).setOutcome(step.outcome()).setDetail(step.detail()).setCorrelation(step.record());
        record(event.getId(), event, input.getKey(), outcome.build(), step.firing() == null ? null
            : new Fire(compiled, step.firing(), event.getId()), now);
    }

    /**
     * Fires the deadlines due by the wall clock whose input has been read up to their due time (an event that reached
     * Kafka before a deadline was due is applied before the deadline fires), and drops the state of removed rules and of
     * idle keys.
     */
    private void tick(long now) {
        long dueBy = Math.min(now, options.progress().readUpTo(context.taskId().partition()));
        for (CorrelationDeadlines.Due due : deadlines.due(dueBy, DEADLINES_PER_TICK)) {
            try {
                fireDeadline(due, now, dueBy);
            } catch (RuntimeException e) {
                // one key's state must not stop every other deadline: drop this one, loudly, with a decision saying so
                LOG.error("correlation deadline of {} due at {} could not be fired; dropped", due.stateKey(), Instant.ofEpochMilli(due.dueAt()), e);
                dropFailed(due, now, e);
            }
        }
        RuleIndex index = options.rules().index();
        if (index != swept) {
            dropChangedRules();
            flows.cancelRemoved(now);
            swept = index;
        }
        sweep(now);
        // finished instances are kept a day: a slower sweep (100,000 instances in about 2 minutes) is enough, and cheaper
        flows.sweep(now, FLOW_SWEEP_PER_TICK);
    }

    private void fireDeadline(CorrelationDeadlines.Due due, long now, long dueBy) {
        if (flows.holds(due.stateKey())) {
            flows.timer(due, now, dueBy);
            return;
        }
        CorrelationState state = states.get(due.stateKey());
        if (state == null || state.getDueAt() == null || state.getDueAt() != due.dueAt()) {
            deadlines.forget(due);
            return;
        }
        String ruleId = due.stateKey().substring(0, due.stateKey().indexOf('/'));
        String key = due.stateKey().substring(ruleId.length() + 1);
        IndexedRule rule = options.rules().get(ruleId).orElse(null);
        if (!(rule instanceof CompiledRule compiled) || compiled.correlation() == null
                || !compiled.correlation().shape().equals(state.getShape())) {
            // the rule was removed or changed what it correlates: its state is gone, deadlines included
            save(due.stateKey(), state, null);
            return;
        }
        Correlator.Step step = Correlator.onDeadline(compiled, state, key, now);
        save(due.stateKey(), state, step.state());
        RuleOutcome.Builder outcome = RuleOutcome.newBuilder().setRuleId(ruleId).setRuleVersion(compiled.version())
            .setCorrelation(step.record());
        Fire fire = null;
        if (!compiled.rule().getEnabled()) {
            outcome.setOutcome(Outcome.DISABLED).setDetail("deadline due at " + Instant.ofEpochMilli(due.dueAt()) + " not fired: " + step.detail());
        } else {
            outcome.setOutcome(step.outcome()).setDetail(step.detail());
            fire = step.firing() == null ? null : new Fire(compiled, step.firing(), null);
        }
        String id = step.record().getFiringId();
        record(id, state.getPending(), key, outcome.build(), fire, now);
    }

    private void dropFailed(CorrelationDeadlines.Due due, long now, RuntimeException e) {
        deadlines.forget(due);
        CorrelationState state = states.get(due.stateKey());
        if (state != null) {
            states.delete(due.stateKey());
        }
        String ruleId = due.stateKey().substring(0, Math.max(0, due.stateKey().indexOf('/')));
        String key = due.stateKey().substring(ruleId.length() + 1);
        RuleOutcome outcome = RuleOutcome.newBuilder().setRuleId(ruleId).setRuleVersion(options.rules().get(ruleId)
                .map(IndexedRule::version).orElse("")).setOutcome(Outcome.ERROR)
            .setDetail("the deadline due at " + Instant.ofEpochMilli(due.dueAt()) + " could not be fired and was dropped with the key's state: "
                + e).build();
        record("deadline-error-" + due.stateKey() + "-" + due.dueAt(), null, key, outcome, null, now);
    }

    /** A firing to render: its rule, the firing, and the event id that caused it (null: the deadline, its firing id). */
    private record Fire(CompiledRule rule, Correlator.Firing firing, String causeId) {
    }

    /**
     * Records one correlation decision under {@code id} (the event's, or for a deadline the firing's), emitting the
     * firing's actions and register operations when there is one.
     */
    private void record(String id, Event event, String key, RuleOutcome outcome, Fire fire, long now) {
        Map<String, String> read = new TreeMap<>();
        List<String> actionIds = List.of();
        List<String> ops = List.of();
        long ts = now;
        if (fire != null) {
            Function<String, String> recording = name -> {
                String value = registerValue(name, now);
                read.putIfAbsent(name, value);
                return value;
            };
            String cause = fire.causeId() != null ? fire.causeId() : fire.firing().id();
            Evaluation.Rendering rendering = Correlator.render(fire.rule(), fire.firing(), key, cause, recording, Instant.ofEpochMilli(now));
            if (rendering.error() != null) {
                outcome.setOutcome(Outcome.ERROR);
                outcome.setDetail(rendering.error() + " (when it fired: " + outcome.getDetail() + ")");
            } else {
                for (Action action : rendering.actions()) {
                    String target = action.getTarget() != null ? action.getTarget() : action.getEventId();
                    wiring.actions().forward(context, new Record<>(target, action, ts));
                }
                for (RegisterOp op : rendering.registerOps()) {
                    wiring.registerOps().forward(context, new Record<>(op.getName(), op, ts));
                }
                actionIds = rendering.actions().stream().map(Action::getId).toList();
                ops = rendering.registerOps().stream().map(op -> op.getOp().name().toLowerCase() + ":" + op.getName()).toList();
            }
        }
        boolean deadline = event == null || fire != null && fire.causeId() == null || !id.equals(event.getId());
        Decision decision = Decision.newBuilder()
            .setEventId(id)
            .setEventSource(deadline ? "reflex" : event.getSource())
            .setEventType(deadline ? "correlation.deadline" : event.getType())
            .setSubject(deadline ? key : event.getSubject())
            .setDecidedAt(Instant.ofEpochMilli(now))
            .setEngineInstance(options.instanceId())
            .setRules(List.of(outcome))
            .setRulesConsidered(1)
            .setActionIds(actionIds)
            .setRegisterOps(ops)
            .setRegistersRead(read)
            .setDetail(DecisionDetail.CORRELATION)
            .build();
        wiring.decisions().forward(context, new Record<>(id, decision, ts));
        options.listener().decided(decision, deadline ? null : event.getTime());
    }

    /** Stores the key's new state (null: drops it) and moves its deadline in the timer index. */
    private void save(String stateKey, CorrelationState before, CorrelationState after) {
        deadlines.move(stateKey, before == null ? null : before.getDueAt(), after == null ? null : after.getDueAt());
        if (after == null) {
            states.delete(stateKey);
        } else {
            states.put(stateKey, after);
        }
    }

    /** Drops the state of correlation rules removed, or whose when or correlate changed, since the last look. */
    private void dropChangedRules() {
        Map<String, String> current = new HashMap<>();
        for (IndexedRule rule : options.rules().all()) {
            if (rule instanceof CompiledRule compiled && compiled.correlation() != null) {
                current.put(rule.id(), compiled.correlation().shape());
            }
        }
        for (Map.Entry<String, String> known : shapes.entrySet()) {
            if (!known.getValue().equals(current.get(known.getKey()))) {
                int dropped = 0;
                try (KeyValueIterator<String, CorrelationState> it = states.prefixScan(known.getKey() + "/", Serdes.String().serializer())) {
                    while (it.hasNext()) {
                        KeyValue<String, CorrelationState> next = it.next();
                        if (!next.value.getShape().equals(current.get(known.getKey()))) {
                            save(next.key, next.value, null);
                            dropped++;
                        }
                    }
                }
                if (dropped > 0) {
                    LOG.info("rule {} was removed or changed what it correlates: dropped the state of {} key(s)", known.getKey(), dropped);
                }
            }
        }
        shapes.clear();
        shapes.putAll(current);
    }

    /** Looks at the next few keys and drops those idle past their expiry or left by a rule that no longer correlates them. */
    private void sweep(long now) {
        int looked = 0;
        String last = null;
        try (KeyValueIterator<String, CorrelationState> it = sweepFrom == null ? states.all() : states.range(sweepFrom, null)) {
            while (it.hasNext() && looked < SWEEP_PER_TICK) {
                KeyValue<String, CorrelationState> next = it.next();
                looked++;
                last = next.key;
                String ruleId = next.key.substring(0, Math.max(0, next.key.indexOf('/')));
                IndexedRule rule = options.rules().get(ruleId).orElse(null);
                boolean orphan = rule instanceof CompiledRule compiled
                    && (compiled.correlation() == null || !compiled.correlation().shape().equals(next.value.getShape()))
                    || rule == null;
                if (orphan || next.value.getDueAt() == null && next.value.getExpiresAt() <= now) {
                    save(next.key, next.value, null);
                }
            }
        }
        // next time from just after the last key looked at; from the start again once the end is reached
        sweepFrom = looked < SWEEP_PER_TICK || last == null ? null : last + "\u0000";
    }

    private String registerValue(String name, long now) {
        Register register = wiring.registerReads().get(registers, name);
        return Registers.isUnset(register, now) ? null : register.getValue();
    }

    /** The store key of a rule's state for one correlation key; rule ids cannot hold '/'. */
    public static String stateKey(String ruleId, String key) {
        return ruleId + "/" + key;
    }
}
