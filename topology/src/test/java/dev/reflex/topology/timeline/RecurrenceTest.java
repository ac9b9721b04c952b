package dev.reflex.topology.timeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;

import org.junit.jupiter.api.Test;

class RecurrenceTest {
    @Test
    void aValueNamesItsEventForEachOfItsSystemsOnly() {
        String value = Recurrence.value(List.of("db", "team-1", "*"), "e-1\u0000odd");
        assertEquals("e-1\u0000odd", Recurrence.eventOn(value, "db"));
        assertEquals("e-1\u0000odd", Recurrence.eventOn(value, "team-1"));
        assertEquals("e-1\u0000odd", Recurrence.eventOn(value, "*"));
        assertNull(Recurrence.eventOn(value, "team"), "a prefix of a system is another system");
        assertNull(Recurrence.eventOn(value, "team-10"));
        assertNull(Recurrence.eventOn(Recurrence.value(List.of(), "e-2"), "db"));
        assertNull(Recurrence.eventOn("e-3", "db"), "a value of an earlier version under the new key");
        assertNull(Recurrence.eventOn("2\u0000db", "db"), "a cut value");
    }

    @Test
    void theKeysOfBothLayoutsDiffer() {
        assertNotEquals(Recurrence.key("a", "b"), Recurrence.keyOnSystem("a", "b", ""));
        assertEquals("t\u0000", Recurrence.key("t", null));
    }
}
