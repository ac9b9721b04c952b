package dev.reflex.topology.internals;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import dev.reflex.schemas.Register;
import dev.reflex.schemas.RegisterOp;
import dev.reflex.topology.Registers;

/**
 * Applies register operations in order, as the single owner of their keys, and publishes each resulting value to
 * the compacted registers topic. Three increments in a burst give 3, because each reads the previous result here
 * rather than the eventually consistent global table.
 */
public final class RegisterOpProcessor implements Processor<String, RegisterOp, String, Register> {
    private final Wiring wiring;
    private final Duration expiryScan;
    private ProcessorContext<String, Register> context;
    private KeyValueStore<String, Register> values;

    /** The store of register values it owns, and where each new value (null: deleted) goes. */
    public record Wiring(String valuesStore, Output<Register> values) {}

    /** @param expiryScan how often registers whose time to live has passed are deleted */
    public RegisterOpProcessor(Duration expiryScan, Wiring wiring) {
        this.wiring = wiring;
        this.expiryScan = expiryScan;
    }

    /** A register operation that cannot be applied; dead-lettered by the processing exception handler. */
    public static final class InvalidRegisterOperation extends RuntimeException {
        public InvalidRegisterOperation(String message) {
            super(message);
        }
    }

    @Override
    public void init(ProcessorContext<String, Register> context) {
        this.context = context;
        this.values = context.getStateStore(wiring.valuesStore());
        context.schedule(expiryScan, PunctuationType.WALL_CLOCK_TIME, this::deleteExpired);
    }

    private void deleteExpired(long now) {
        List<String> expired = new ArrayList<>();
        try (KeyValueIterator<String, Register> all = values.all()) {
            while (all.hasNext()) {
                KeyValue<String, Register> entry = all.next();
                if (entry.value != null && Registers.isUnset(entry.value, now)) {
                    expired.add(entry.key);
                }
            }
        }
        for (String name : expired) {
            values.delete(name);
            wiring.values().forward(context, new Record<String, Register>(name, null, now));
        }
    }

    @Override
    public void process(Record<String, RegisterOp> record) {
        RegisterOp op = record.value();
        if (op == null) {
            return;
        }
        String name = op.getName();
        long now = context.currentSystemTimeMs();
        Register current = values.get(name);
        if (Registers.isUnset(current, now)) {
            current = null;
        }
        String value = switch (op.getOp()) {
            case SET -> op.getValue();
            case INCR ->
                Long.toString(number(current == null ? "0" : current.getValue(), "register '" + name + "' holds")
                        + number(op.getValue() == null ? "1" : op.getValue(), "incr of register '" + name + "' by"));
            case DELETE -> null;
        };
        if (value == null) {
            values.delete(name);
            wiring.values().forward(context, new Record<String, Register>(name, null, record.timestamp()));
            return;
        }
        Instant expiresAt = switch (op.getOp()) {
            case SET -> op.getTtlMs() == null ? null : Instant.ofEpochMilli(now + op.getTtlMs());
            default -> current == null ? null : current.getExpiresAt();
        };
        Register updated = Register.newBuilder()
                .setName(name)
                .setValue(value)
                .setUpdatedAt(Instant.ofEpochMilli(now))
                .setEventId(op.getEventId())
                .setRuleId(op.getRuleId())
                .setExpiresAt(expiresAt)
                .build();
        values.put(name, updated);
        wiring.values().forward(context, new Record<>(name, updated, record.timestamp()));
    }

    private static long number(String text, String what) {
        try {
            return Long.parseLong(text.strip());
        } catch (NumberFormatException e) {
            throw new InvalidRegisterOperation(what + " '" + text + "', which is not a whole number");
        }
    }
}
