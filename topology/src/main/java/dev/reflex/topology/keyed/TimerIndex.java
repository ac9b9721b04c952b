package dev.reflex.topology.keyed;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The persisted timer index of the keyed part: correlation deadlines and flow timers (step timeouts, retry backoffs,
 * wait deadlines), one entry per timer, {@code <due time, 19 digits>|<state key>}, so the entries due by a time are one
 * ordered range scan. Changelogged like the state it points to, so a new owner of the task after kill -9 or a rebalance
 * finds every armed timer, overdue ones first. The store keeps its name, {@code correlation-deadlines}.
 */
final class TimerIndex {
    private final KeyValueStore<String, String> store;
    /**
     * No entry is due before this: a lower bound kept in memory (0 after a restart), raised by each scan and lowered by
     * each put. Scans start here, so they do not step again over the entries earlier ticks fired and deleted (RocksDB
     * keeps their tombstones until a compaction, and a scan from 0 walked every one of them each tick).
     */
    private long from;

    TimerIndex(KeyValueStore<String, String> store) {
        this.store = store;
    }

    /** Moves {@code stateKey}'s deadline from {@code before} to {@code after} (either may be null: none). */
    void move(String stateKey, Long before, Long after) {
        if (before != null && before.equals(after)) {
            return;
        }
        if (before != null) {
            store.delete(entry(before, stateKey));
        }
        if (after != null) {
            put(after, stateKey);
        }
    }

    /** Moves {@code stateKey}'s timers (several, for a flow instance) from {@code before} to {@code after}. */
    void moveAll(String stateKey, Collection<Long> before, Collection<Long> after) {
        for (Long due : before) {
            if (!after.contains(due)) {
                store.delete(entry(due, stateKey));
            }
        }
        for (Long due : after) {
            if (!before.contains(due)) {
                put(due, stateKey);
            }
        }
    }

    /** A timer due by {@code now}: its due time and the key whose state holds it. */
    record Due(long dueAt, String stateKey) {
        StateKey key() {
            return StateKey.parse(stateKey);
        }
    }

    private void put(long dueAt, String stateKey) {
        store.put(entry(dueAt, stateKey), stateKey);
        from = Math.min(from, Math.max(0, dueAt));
    }

    /** At most {@code limit} deadlines due by {@code now}, earliest first. */
    List<Due> due(long now, int limit) {
        List<Due> due = new ArrayList<>();
        if (now < from) {
            return due;
        }
        try (KeyValueIterator<String, String> it = store.range(pad(from), pad(now) + "|\uffff")) {
            while (it.hasNext() && due.size() < limit) {
                KeyValue<String, String> next = it.next();
                due.add(new Due(Long.parseLong(next.key.substring(0, 19)), next.value));
            }
        }
        // nothing lies between the scan's start and the first entry found; when none was found, nothing up to now
        from = due.isEmpty()
                ? Math.max(from, now < Long.MAX_VALUE ? now + 1 : now)
                : Math.max(from, due.get(0).dueAt());
        return due;
    }

    /** Forgets an entry found by {@link #due} whose state no longer holds it. */
    void forget(Due due) {
        store.delete(entry(due.dueAt(), due.stateKey()));
    }

    private static String entry(long dueAt, String stateKey) {
        return pad(dueAt) + "|" + stateKey;
    }

    private static String pad(long millis) {
        String digits = Long.toString(Math.max(0, millis));
        return "0".repeat(19 - digits.length()) + digits;
    }
}
