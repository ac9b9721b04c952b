package dev.reflex.topology.internals;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.junit.jupiter.api.Test;

import dev.reflex.schemas.Register;

class RegisterReadsTest {
    /** A store over a map that counts its reads and can run something while a read is under way. */
    private static final class CountingStore implements ReadOnlyKeyValueStore<String, Register> {
        final Map<String, Register> values = new HashMap<>();
        int reads;
        Runnable duringRead = () -> {};

        @Override
        public Register get(String key) {
            reads++;
            Register value = values.get(key);
            duringRead.run();
            return value;
        }

        @Override
        public KeyValueIterator<String, Register> range(String from, String to) {
            throw new UnsupportedOperationException();
        }

        @Override
        public KeyValueIterator<String, Register> all() {
            throw new UnsupportedOperationException();
        }

        @Override
        public long approximateNumEntries() {
            return values.size();
        }
    }

    private static Register register(String name, String value) {
        return Register.newBuilder()
                .setName(name)
                .setValue(value)
                .setUpdatedAt(Instant.EPOCH)
                .setEventId("e")
                .setRuleId("r")
                .build();
    }

    private final CountingStore store = new CountingStore();
    private final RegisterReads reads = new RegisterReads();

    @Test
    void aValueOrItsAbsenceIsReadFromTheStoreOnceUntilTheLoaderChangesIt() {
        store.values.put("freeze", register("freeze", "on"));
        assertThat(reads.get(store, "freeze").getValue()).isEqualTo("on");
        assertThat(reads.get(store, "freeze").getValue()).isEqualTo("on");
        assertThat(reads.get(store, "owner")).isNull();
        assertThat(reads.get(store, "owner")).isNull();
        assertThat(store.reads).isEqualTo(2);

        store.values.put("freeze", register("freeze", "off"));
        reads.changed("freeze");
        assertThat(reads.get(store, "freeze").getValue()).isEqualTo("off");
        assertThat(reads.get(store, "owner")).as("another register stays kept").isNull();
        assertThat(store.reads).isEqualTo(3);

        store.values.put("owner", register("owner", "team-a"));
        reads.clear();
        assertThat(reads.get(store, "owner").getValue()).isEqualTo("team-a");
        assertThat(reads.get(store, "freeze").getValue()).isEqualTo("off");
        assertThat(store.reads).isEqualTo(5);
    }

    @Test
    void aReadThatRacedAWriteKeepsNothing() {
        store.values.put("freeze", register("freeze", "on"));
        // the loader writes and says so while the stream thread's read of the old value is under way
        store.duringRead = () -> {
            store.values.put("freeze", register("freeze", "off"));
            reads.changed("freeze");
            store.duringRead = () -> {};
        };
        assertThat(reads.get(store, "freeze").getValue())
                .as("the read returns what it read")
                .isEqualTo("on");
        assertThat(reads.get(store, "freeze").getValue())
                .as("but did not keep it")
                .isEqualTo("off");
        assertThat(store.reads).isEqualTo(2);
    }

    @Test
    void atMostMaxEntriesAreKeptTheRestAreReadEachTime() {
        for (int i = 0; i < RegisterReads.MAX_ENTRIES; i++) {
            reads.get(store, "r-" + i);
        }
        int before = store.reads;
        reads.get(store, "one-more");
        reads.get(store, "one-more");
        reads.get(store, "r-0");
        assertThat(store.reads - before).isEqualTo(2);
    }
}
