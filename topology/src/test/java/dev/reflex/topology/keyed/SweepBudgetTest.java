package dev.reflex.topology.keyed;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** How many correlation keys a tick looks at for idleness: every key within a minute, within the bounds. */
class SweepBudgetTest {
    @Test
    void everyKeyIsLookedAtWithinTheCycleBetweenTheBounds() {
        long ticksPerCycle = KeyedProcessor.SWEEP_CYCLE.toMillis() / KeyedProcessor.TICK.toMillis();
        assertThat(KeyedProcessor.sweepBudget(0)).isEqualTo(KeyedProcessor.MIN_SWEEP_PER_TICK);
        assertThat(KeyedProcessor.sweepBudget(1_000)).isEqualTo(KeyedProcessor.MIN_SWEEP_PER_TICK);
        // 60,000 keys: 100 a tick, all of them within the minute (before, 400 a tick swept them every 15 s)
        assertThat(KeyedProcessor.sweepBudget(60_000)).isEqualTo(100);
        assertThat(KeyedProcessor.sweepBudget(60_000) * ticksPerCycle).isGreaterThanOrEqualTo(60_000);
        // past 240,000 keys in a partition the bound holds and a sweep takes longer than the cycle
        assertThat(KeyedProcessor.sweepBudget(10_000_000)).isEqualTo(KeyedProcessor.SWEEP_PER_TICK);
    }
}
