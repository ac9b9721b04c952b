package dev.reflex.connectors.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The minimum body rate: a grace second, then the bytes so far against the rate; never a small body for a server pause. */
class RequestBodiesTest {
    private final RequestBodies bodies = new RequestBodies(1 << 20, 10_000, 1024);

    @Test
    void aSmallBodyIsNeverTooSlowWithinTheGrace() {
        // a 2-byte body whose last byte is read 900 ms after the first (a long server pause): a rate measured from the
        // first byte would be 2 B/s and refuse it
        assertThat(bodies.tooSlow(2, 900)).isFalse();
        assertThat(bodies.tooSlow(0, RequestBodies.GRACE_MS)).isFalse();
    }

    @Test
    void afterTheGraceTheBytesSoFarMustKeepUpWithTheRate() {
        assertThat(bodies.tooSlow(2, 2_000)).as("2 bytes in two seconds").isTrue();
        assertThat(bodies.tooSlow(1024, 2_000))
                .as("1 KiB a second after the grace")
                .isFalse();
        assertThat(bodies.tooSlow(1023, 2_000)).isTrue();
        assertThat(bodies.tooSlow(5 * 1024, 6_000)).isFalse();
    }

    @Test
    void zeroTurnsTheRateCheckOff() {
        assertThat(new RequestBodies(1 << 20, 10_000, 0).tooSlow(0, 9_000)).isFalse();
    }
}
