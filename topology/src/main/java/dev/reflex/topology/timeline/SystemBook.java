package dev.reflex.topology.timeline;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import dev.reflex.rules.systems.SystemCatalog;
import dev.reflex.schemas.SystemDef;

/**
 * The live systems catalog, fed from {@code reflex.systems} by the timeline's global store loader, read by the
 * attribution step and the API. Each change makes a new immutable {@link SystemCatalog}.
 */
public final class SystemBook implements Supplier<SystemCatalog> {
    private final Map<String, SystemDef> systems = new ConcurrentHashMap<>();
    private final AtomicReference<SystemCatalog> catalog = new AtomicReference<>(SystemCatalog.EMPTY);

    @Override
    public SystemCatalog get() {
        return catalog.get();
    }

    synchronized void put(SystemDef system) {
        systems.put(system.getName(), system);
        catalog.set(SystemCatalog.of(systems.values()));
    }

    synchronized void remove(String name) {
        systems.remove(name);
        catalog.set(SystemCatalog.of(systems.values()));
    }
}
