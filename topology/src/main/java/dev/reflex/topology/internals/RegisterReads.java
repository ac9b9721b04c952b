package dev.reflex.topology.internals;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

import dev.reflex.schemas.Register;

/**
 * Reads of the registers global store by the stream threads, with the value last read of each register kept, absent
 * ones included: conditions that test a register (a freeze flag, a maintenance window) read it for nearly every event,
 * and a read of the store costs more than the rest of such a condition.
 *
 * <p>The global thread's loader calls {@link #changed} after each write, so a kept value never outlives the store's.
 * A read that raced a write keeps nothing: a value read from the store is kept only if no write happened since just
 * before it was read, checked atomically with the loader's removal of the name. The store can also change without the
 * loader (Kafka Streams restores a global store from its topic directly); a kept value is therefore read again after
 * {@link #MAX_AGE_NANOS} at the latest, and {@link #clear} runs whenever the loader is (re)initialized.
 */
public final class RegisterReads implements TableLoader.Changes {
    /** At most this many registers are kept; the rest are read from the store each time. */
    static final int MAX_ENTRIES = 10_000;
    /** How long a kept value is used before it is read again, whatever the loader said. */
    static final long MAX_AGE_NANOS = 1_000_000_000L;

    private record Kept(Register value, long readAtNanos) {}

    private final ConcurrentHashMap<String, Kept> kept = new ConcurrentHashMap<>();
    /** Counts writes; a read keeps its value only if this did not move while it read the store. */
    private final AtomicLong writes = new AtomicLong();

    /** The register {@code name} (null when absent, as the store says). */
    public Register get(ReadOnlyKeyValueStore<String, Register> store, String name) {
        long now = System.nanoTime();
        Kept known = kept.get(name);
        if (known != null && now - known.readAtNanos() < MAX_AGE_NANOS) {
            return known.value();
        }
        long before = writes.get();
        Register value = store.get(name);
        if (known != null || kept.size() < MAX_ENTRIES) {
            Kept read = new Kept(value, now);
            kept.compute(name, (k, current) -> writes.get() == before ? read : current);
        }
        return value;
    }

    /** After the loader wrote (or deleted) {@code name} in the store. */
    @Override
    public void changed(String name) {
        writes.incrementAndGet();
        kept.remove(name);
    }

    /** After the store may have changed in any way. */
    @Override
    public void clear() {
        writes.incrementAndGet();
        kept.clear();
    }
}
