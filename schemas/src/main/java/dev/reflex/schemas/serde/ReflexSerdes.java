package dev.reflex.schemas.serde;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.avro.specific.SpecificRecord;

import dev.reflex.schemas.registry.SchemaRegistry;

/** Hands out one value serde per record type, all sharing one registry client and its caches. */
public final class ReflexSerdes {
    private final SchemaRegistry registry;
    private final boolean autoRegister;
    private final Map<Class<?>, AvroSerde<?>> serdes = new ConcurrentHashMap<>();

    public ReflexSerdes(SchemaRegistry registry, boolean autoRegister) {
        this.registry = registry;
        this.autoRegister = autoRegister;
    }

    public SchemaRegistry registry() {
        return registry;
    }

    @SuppressWarnings("unchecked")
    public <T extends SpecificRecord> AvroSerde<T> value(Class<T> type) {
        return (AvroSerde<T>) serdes.computeIfAbsent(type, t -> new AvroSerde<>(registry, type, false, autoRegister));
    }
}
