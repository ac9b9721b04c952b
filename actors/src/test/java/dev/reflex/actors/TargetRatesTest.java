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
