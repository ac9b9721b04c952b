package dev.reflex.actors;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.reflex.schemas.Rate;

class TargetRatesTest {
    @Test
    void atMostCountStartsInAnyWindowPerTarget() {
        TargetRates rates = new TargetRates(new Rate(2, 1_000L));
        assertThat(rates.mayStart("db-1", 0)).isTrue();
        rates.started("db-1", 0);
        rates.started("db-1", 400);
        assertThat(rates.mayStart("db-1", 999)).isFalse();
        assertThat(rates.mayStart("db-2", 999)).as("another target").isTrue();
        assertThat(rates.mayStart("db-1", 1_000))
                .as("the first start left the window")
                .isTrue();
        rates.started("db-1", 1_000);
        assertThat(rates.mayStart("db-1", 1_399)).isFalse();
        assertThat(rates.mayStart("db-1", 1_400)).isTrue();
    }

    @Test
    void aFinishedActionCountsFromItsFinishSoTheTargetNeverSeesMoreThanTheLimitInAWindow() {
        // 3 per 10 s; the first call reaches the target late (a busy machine), so counting from its start would let
        // the fourth start 10 s after the first started but less than 10 s after the target saw the first
        TargetRates rates = new TargetRates(new Rate(3, 10_000L));
        rates.started("pod-1", 0);
        rates.finished("pod-1", 0, 400);
        rates.started("pod-1", 400);
        rates.finished("pod-1", 400, 500);
        rates.started("pod-1", 500);
        rates.finished("pod-1", 500, 600);
        assertThat(rates.mayStart("pod-1", 10_000))
                .as("a window after the first start")
                .isFalse();
        assertThat(rates.mayStart("pod-1", 10_399)).isFalse();
        assertThat(rates.mayStart("pod-1", 10_400))
                .as("a window after the first finish")
                .isTrue();
        // while it runs an action counts from its start; an action longer than the window counts again from its finish
        rates.started("pod-1", 10_400);
        assertThat(rates.mayStart("pod-1", 20_401))
                .as("every count left the window, its start included")
                .isTrue();
        rates.finished("pod-1", 10_400, 25_000);
        rates.started("pod-1", 25_000);
        rates.started("pod-1", 25_001);
        assertThat(rates.mayStart("pod-1", 34_999)).isFalse();
        assertThat(rates.mayStart("pod-1", 35_000)).isTrue();
    }

    @Test
    void startsReadBackOutOfOrderCountInTheirPlace() {
        TargetRates rates = new TargetRates(new Rate(2, 1_000L));
        rates.started("db-1", 900);
        rates.started("db-1", 100);
        assertThat(rates.mayStart("db-1", 1_099))
                .as("100 and 900 are in the window")
                .isFalse();
        assertThat(rates.mayStart("db-1", 1_100)).as("100 left it").isTrue();
        rates.started("db-1", 1_100);
        assertThat(rates.mayStart("db-1", 1_110)).isFalse();
    }

    @Test
    void noRateLetsEverythingStartAndAChangeAppliesAtOnce() {
        TargetRates rates = new TargetRates(null);
        rates.started("db-1", 0);
        assertThat(rates.mayStart("db-1", 0)).isTrue();
        rates.rate(new Rate(1, 60_000L));
        rates.started("db-1", 10);
        assertThat(rates.mayStart("db-1", 20)).isFalse();
        rates.rate(null);
        assertThat(rates.mayStart("db-1", 20)).isTrue();
        assertThat(rates.mayStart(null, 20)).isTrue();
    }
}
