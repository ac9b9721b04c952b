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
            store.put(entry(after, stateKey), stateKey);
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
                store.put(entry(due, stateKey), stateKey);
            }
        }
    }

    /** A timer due by {@code now}: its due time and the key whose state holds it. */
    record Due(long dueAt, String stateKey) {
        StateKey key() {
            return StateKey.parse(stateKey);
        }
    }

    /** At most {@code limit} deadlines due by {@code now}, earliest first. */
    List<Due> due(long now, int limit) {
        List<Due> due = new ArrayList<>();
        try (KeyValueIterator<String, String> it = store.range(pad(0), pad(now) + "|\uffff")) {
            while (it.hasNext() && due.size() < limit) {
                KeyValue<String, String> next = it.next();
                due.add(new Due(Long.parseLong(next.key.substring(0, 19)), next.value));
            }
        }
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
        return String.format("%019d", Math.max(0, millis));
    }
}
