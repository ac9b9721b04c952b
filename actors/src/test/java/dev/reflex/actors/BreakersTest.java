package dev.reflex.actors;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BreakersTest {
    private final Breakers breakers = new Breakers(new Breakers.Settings(3, 30_000, 0));

    @Test
    void consecutiveFailuresOpenTheCircuitForTheCoolDownThenOneProbes() {
        assertThat(breakers.record("db-1", true, 1_000)).isFalse();
        assertThat(breakers.record("db-1", true, 2_000)).isFalse();
        assertThat(breakers.mayStart("db-1", 2_500)).isTrue();
        assertThat(breakers.record("db-1", true, 3_000))
                .as("the third opens it")
                .isTrue();
        assertThat(breakers.mayStart("db-1", 3_001)).isFalse();
        assertThat(breakers.mayStart("db-2", 3_001)).as("other targets").isTrue();
        assertThat(breakers.open(3_001)).isEqualTo(1);
        assertThat(breakers.reason("db-1")).isEqualTo("circuit open for target db-1 after 3 consecutive failures");
        assertThat(breakers.mayStart("db-1", 33_000)).as("cooled down: a probe").isTrue();
        assertThat(breakers.record("db-1", true, 34_000))
                .as("a failed probe opens it again")
                .isTrue();
        assertThat(breakers.mayStart("db-1", 40_000)).isFalse();
        breakers.record("db-1", false, 65_000);
        assertThat(breakers.mayStart("db-1", 65_001))
                .as("a successful probe closes it")
                .isTrue();
        assertThat(breakers.record("db-1", true, 66_000))
                .as("the count starts again")
                .isFalse();
    }

    @Test
    void aSuccessBetweenFailuresResetsTheCount() {
        breakers.record("db-1", true, 1);
        breakers.record("db-1", true, 2);
        breakers.record("db-1", false, 3);
        assertThat(breakers.record("db-1", true, 4)).isFalse();
        assertThat(breakers.mayStart("db-1", 5)).isTrue();
    }

    @Test
    void aResultOlderThanTheLastSeenOfItsTargetIsIgnored() {
        breakers.record("db-1", true, 10);
        breakers.record("db-1", true, 20);
        breakers.record("db-1", false, 5);
        assertThat(breakers.record("db-1", true, 30))
                .as("the old success did not reset it")
                .isTrue();
    }

    @Test
    void heldActionsFailOnlyOnceTheCircuitHasBeenOpenForTheBound() {
        Breakers bounded = new Breakers(new Breakers.Settings(1, 10_000, 25_000));
        bounded.record("db-1", true, 0);
        assertThat(bounded.failsHeld("db-1", 9_000)).isFalse();
        bounded.record("db-1", true, 10_000);
        bounded.record("db-1", true, 20_000);
        assertThat(bounded.failsHeld("db-1", 24_999)).isFalse();
        assertThat(bounded.failsHeld("db-1", 25_000)).isTrue();
        assertThat(bounded.failsHeld("db-1", 30_000))
                .as("cooled down: the probe runs instead")
                .isFalse();
        assertThat(breakers.failsHeld("db-1", 1_000_000))
                .as("no bound: they wait")
                .isFalse();
    }

    @Test
    void offAndTargetlessActionsAreNeverHeld() {
        Breakers off = new Breakers(Breakers.Settings.OFF);
        for (int i = 0; i < 10; i++) {
            off.record("db-1", true, i);
            breakers.record(null, true, i);
        }
        assertThat(off.mayStart("db-1", 11)).isTrue();
        assertThat(breakers.mayStart(null, 11)).isTrue();
    }
}
