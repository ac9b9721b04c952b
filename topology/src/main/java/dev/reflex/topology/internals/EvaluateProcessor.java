package dev.reflex.topology.internals;

import java.time.Instant;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

import dev.reflex.rules.Evaluation;
import dev.reflex.rules.Evaluator;
import dev.reflex.rules.RuleBook;
import dev.reflex.schemas.Action;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.Register;
import dev.reflex.schemas.RegisterOp;

/** Evaluates each event against the rules that can match it; emits actions, register operations and one decision. */
public final class EvaluateProcessor implements Processor<String, Event, String, SpecificRecord> {
    private final RuleBook rules;
    private final String registersStore;
    private final String instanceId;
    private final String actionsSink;
    private final String registerOpsSink;
    private final String decisionsSink;
    private final long slowMicros;
    private final String seenStore;
    private final String unmatched;
    private final java.time.Duration dedupRetention;
    private final dev.reflex.topology.RecentDecisions recent;
    private ProcessorContext<String, SpecificRecord> context;
    private KeyValueStore<String, Register> registers;
    private org.apache.kafka.streams.state.WindowStore<String, Long> seen;

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(EvaluateProcessor.class);

    public EvaluateProcessor(RuleBook rules, String registersStore, String instanceId,
                             String actionsSink, String registerOpsSink, String decisionsSink, long slowMicros,
                             String seenStore, java.time.Duration dedupRetention, String unmatched,
                             dev.reflex.topology.RecentDecisions recent) {
        this.recent = recent;
        this.unmatched = unmatched;
        this.slowMicros = slowMicros;
        this.seenStore = seenStore;
        this.dedupRetention = dedupRetention;
        this.rules = rules;
        this.registersStore = registersStore;
        this.instanceId = instanceId;
        this.actionsSink = actionsSink;
        this.registerOpsSink = registerOpsSink;
        this.decisionsSink = decisionsSink;
    }

    @Override
    public void init(ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
        this.registers = context.getStateStore(registersStore);
        this.seen = context.getStateStore(seenStore);
    }

    @Override
    public void process(Record<String, Event> record) {
        Event event = record.value();
        if (event == null) {
            return;
        }
        Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());
        if (!dedupRetention.isZero()) {
            // Events with the same id (a redelivered webhook, a tick from each timer replica) are acted on once.
            // Same id means same subject in practice, hence the same partition and the same store.
            // A window store forgets by dropping whole segments once they are older than the retention: no scans.
            long at = now.toEpochMilli();
            try (org.apache.kafka.streams.state.WindowStoreIterator<Long> earlier =
                     seen.fetch(event.getId(), Instant.ofEpochMilli(at - dedupRetention.toMillis()), now)) {
                if (earlier.hasNext()) {
                    LOG.debug("event {} seen before; dropped as a duplicate", event.getId());
                    return;
                }
            }
            seen.put(event.getId(), at, at);
        }
        Evaluation evaluation = Evaluator.evaluate(event, rules.index(), this::registerValue, now, slowMicros);
        for (Evaluation.SlowRule slow : evaluation.slowRules()) {
            String reason = "evaluation took " + slow.micros() / 1_000 + " ms on event " + event.getId()
                + ", over the budget of " + slowMicros / 1_000 + " ms (reflex.rule.slow.ms); apply a new version to lift this";
            LOG.warn("rule {} version {} quarantined: {}", slow.rule().getId(), slow.rule().getVersion(), reason);
            rules.quarantineIfCurrent(slow.rule(), reason);
        }
        for (Action action : evaluation.actions()) {
            String key = action.getTarget() != null ? action.getTarget() : action.getEventId();
            context.forward(new Record<>(key, action, record.timestamp()), actionsSink);
        }
        for (RegisterOp op : evaluation.registerOps()) {
            context.forward(new Record<>(op.getName(), op, record.timestamp()), registerOpsSink);
        }
        dev.reflex.schemas.Decision decision = null;
        if (evaluation.matchedAny() || unmatched.equals("full")) {
            decision = evaluation.toDecision(event, instanceId, now);
        } else if (unmatched.equals("summary")) {
            decision = evaluation.toDecision(event, instanceId, now);
            decision.setRules(java.util.List.of());
            decision.setRegistersRead(java.util.Map.of());
            decision.setDetail(dev.reflex.schemas.DecisionDetail.SUMMARY);
        }
        if (decision != null) {
            context.forward(new Record<>(event.getId(), decision, record.timestamp()), decisionsSink);
            recent.put(decision);
        }
    }

    private String registerValue(String name) {
        Register register = registers.get(name);
        return RegisterOpProcessor.isUnset(register, context.currentSystemTimeMs()) ? null : register.getValue();
    }
}
