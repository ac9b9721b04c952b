package dev.reflex.schemas;

import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

import dev.reflex.schemas.serde.ReflexSerdes;

/** Every topic with its serdes, declared once. Keys are strings; values are Avro records in the Confluent format. */
public final class Topics {
    private final TopicNames names;
    private final ReflexSerdes serdes;

    public Topics(TopicNames names, ReflexSerdes serdes) {
        this.names = names;
        this.serdes = serdes;
    }

    public TopicNames names() {
        return names;
    }

    public ReflexSerdes serdes() {
        return serdes;
    }

    private static Serde<String> key() {
        return Serdes.String();
    }

    /** Raw ingest records: whatever bytes a producer sent; the content-type header says how to read them. */
    public Topic<byte[], byte[]> ingest(String source) {
        return new Topic<>(names.ingest(source), Serdes.ByteArray(), Serdes.ByteArray());
    }

    /** Key: subject (or id when there is none). */
    public Topic<String, Event> events() {
        return new Topic<>(names.events(), key(), serdes.value(Event.class));
    }

    /** Compacted. Key: rule id. */
    public Topic<String, Rule> rules() {
        return new Topic<>(names.rules(), key(), serdes.value(Rule.class));
    }

    /** Never compacted, kept forever by default. Key: rule id; no value: the rule was removed. */
    public Topic<String, SystemDef> systems() {
        return new Topic<>(names.systems(), key(), serdes.value(SystemDef.class));
    }

    public Topic<String, Rule> rulesLog() {
        return new Topic<>(names.rulesLog(), key(), serdes.value(Rule.class));
    }

    /** Compacted. Key: register name. */
    public Topic<String, Register> registers() {
        return new Topic<>(names.registers(), key(), serdes.value(Register.class));
    }

    /** Key: register name, so one owner applies a register's operations in order. */
    public Topic<String, RegisterOp> registerOps() {
        return new Topic<>(names.registerOps(), key(), serdes.value(RegisterOp.class));
    }

    /** Internal. Key: rule id/correlation key. */
    public Topic<String, CorrelationInput> correlate() {
        return new Topic<>(names.correlate(), key(), serdes.value(CorrelationInput.class));
    }

    /** Key: flow id/key. */
    public Topic<String, FlowTransition> flows() {
        return new Topic<>(names.flows(), key(), serdes.value(FlowTransition.class));
    }

    /** Key: event id (for a correlation deadline's firing, the firing id). */
    public Topic<String, Decision> decisions() {
        return new Topic<>(names.decisions(), key(), serdes.value(Decision.class));
    }

    /** Key: the original topic. */
    public Topic<String, DeadLetter> dlq() {
        return new Topic<>(names.dlq(), key(), serdes.value(DeadLetter.class));
    }

    /** Key: target resource. */
    public Topic<String, Action> actions(String system) {
        return new Topic<>(names.actions(system), key(), serdes.value(Action.class));
    }

    /** Key: action id. */
    public Topic<String, ActionResult> actionResults() {
        return new Topic<>(names.actionResults(), key(), serdes.value(ActionResult.class));
    }
}
