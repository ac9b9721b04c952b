package dev.reflex.topology.internals;

import java.time.Instant;

import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

import dev.reflex.schemas.Register;
import dev.reflex.schemas.RegisterOp;

/**
 * Applies register operations in order, as the single owner of their keys, and publishes each resulting value to
 * the compacted registers topic. Three increments in a burst give 3, because each reads the previous result here
 * rather than the eventually consistent global table.
 */
public final class RegisterOpProcessor implements Processor<String, RegisterOp, String, Register> {
    private final String valuesStore;
    private final String registersSink;
    private ProcessorContext<String, Register> context;
    private KeyValueStore<String, Register> values;

    public RegisterOpProcessor(String valuesStore, String registersSink) {
        this.valuesStore = valuesStore;
        this.registersSink = registersSink;
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
        this.values = context.getStateStore(valuesStore);
    }

    @Override
    public void process(Record<String, RegisterOp> record) {
        RegisterOp op = record.value();
        if (op == null) {
            return;
        }
        String name = op.getName();
        Register current = values.get(name);
        String value = switch (op.getOp()) {
            case SET -> op.getValue();
            case INCR -> Long.toString(number(current == null ? "0" : current.getValue(), "register '" + name + "' holds")
                + number(op.getValue() == null ? "1" : op.getValue(), "incr of register '" + name + "' by"));
            case DELETE -> null;
        };
        if (value == null) {
            values.delete(name);
            context.forward(new Record<String, Register>(name, null, record.timestamp()), registersSink);
            return;
        }
        Register updated = Register.newBuilder()
            .setName(name)
            .setValue(value)
            .setUpdatedAt(Instant.ofEpochMilli(context.currentSystemTimeMs()))
            .setEventId(op.getEventId())
            .setRuleId(op.getRuleId())
            .build();
        values.put(name, updated);
        context.forward(new Record<>(name, updated, record.timestamp()), registersSink);
    }

    private static long number(String text, String what) {
        try {
            return Long.parseLong(text.strip());
        } catch (NumberFormatException e) {
            throw new InvalidRegisterOperation(what + " '" + text + "', which is not a whole number");
        }
    }
}
