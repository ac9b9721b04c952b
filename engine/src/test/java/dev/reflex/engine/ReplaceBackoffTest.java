package dev.reflex.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ReplaceBackoffTest {
    @Test
    void repeatedFailuresDoubleTheWaitUpToTheMaximumAndAQuietPeriodResetsIt() {
        ReplaceBackoff backoff = new ReplaceBackoff(1_000, 8_000, 60_000);
        assertEquals(1_000, backoff.next(0));
        assertEquals(2_000, backoff.next(1_500));
        assertEquals(4_000, backoff.next(4_000));
        assertEquals(8_000, backoff.next(9_000));
        assertEquals(8_000, backoff.next(18_000));
        // a minute without failures (after the last wait) starts again from the initial wait
        assertEquals(1_000, backoff.next(18_000 + 8_000 + 60_001));
    }
}
