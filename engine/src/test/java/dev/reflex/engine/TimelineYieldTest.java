package dev.reflex.engine;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** When the timeline is paused for a burst of due timers, with the engine's ticks and the clock given by the test. */
class TimelineYieldTest {
    private static final long ROUND = TimelineYield.ROUND.toMillis();
    private static final long HOLD = TimelineYield.HOLD.toMillis();

    /** Rounds from {@code from} to {@code to}, a tick of {@code perTick} timers every round when positive; paused rounds. */
    private static int run(TimelineYield yield, long from, long to, int perTick) {
        int paused = 0;
        for (long now = from; now < to; now += ROUND) {
            if (perTick > 0) {
                yield.timersFired(perTick, now);
            }
            if (yield.pausedAt(now)) {
                paused++;
            }
        }
        return paused;
    }

    @Test
    void ticksBelowABurstNeverPauseTheTimeline() {
        TimelineYield yield = new TimelineYield(30_000);
        assertThat(run(yield, 0, 60_000, TimelineYield.BURST_PER_TICK - 1)).isZero();
    }

    @Test
    void aBurstPausesTheTimelineUntilTheHoldAfterItsLastTick() {
        TimelineYield yield = new TimelineYield(30_000);
        assertThat(yield.pausedAt(0)).isFalse();
        run(yield, ROUND, 5_000, TimelineYield.BURST_PER_TICK);
        long lastTick = 5_000 - ROUND;
        assertThat(yield.pausedAt(5_000)).isTrue();
        assertThat(yield.pausedAt(lastTick + HOLD - ROUND)).isTrue();
        assertThat(yield.pausedAt(lastTick + HOLD)).isFalse();
    }

    @Test
    void aFloodPausesTheTimelineForTheLongestPauseAtMostInARowAndAThirdOfTheTimeAtMostOverLonger() {
        TimelineYield yield = new TimelineYield(10_000);
        // one tick at a time, to see where the first pause ends
        long now = 0;
        while (true) {
            yield.timersFired(TimelineYield.BURST_PER_TICK, now);
            if (!yield.pausedAt(now) && now > 0) {
                break;
            }
            now += ROUND;
        }
        assertThat(now).isBetween(10_000L, 10_000L + 2 * ROUND);
        // then it runs before it may pause again, and over ten minutes of flood it is paused a third of the time
        assertThat(yield.pausedAt(now + ROUND)).isFalse();
        int paused = run(yield, now + 2 * ROUND, now + 600_000, TimelineYield.BURST_PER_TICK);
        assertThat(paused * ROUND).isBetween(600_000L * 3 / 10, 600_000L / 3 + 2 * HOLD);
    }

    @Test
    void aQuietSpellEarnsTheBudgetBackAtHalfTheRate() {
        TimelineYield yield = new TimelineYield(10_000);
        run(yield, 0, 20_000, TimelineYield.BURST_PER_TICK);
        assertThat(yield.budget()).isLessThanOrEqualTo(HOLD);
        // 10,000 ms earned in 20,000 ms; what was left, if anything, on top
        run(yield, 20_000, 40_000, 0);
        assertThat(yield.budget()).isBetween(10_000L - HOLD - ROUND, 10_000L);
        run(yield, 40_000, 45_000, 0);
        assertThat(yield.budget()).isEqualTo(10_000);
        assertThat(run(yield, 45_000, 55_000 - ROUND, TimelineYield.BURST_PER_TICK))
                .isEqualTo((int) ((55_000 - ROUND - 45_000) / ROUND));
    }

    @Test
    void noLongestPauseNeverPausesTheTimeline() {
        TimelineYield yield = new TimelineYield(0);
        assertThat(yield.enabled()).isFalse();
        assertThat(run(yield, 0, 60_000, 5_000)).isZero();
    }

    @Test
    void aLongestPauseShorterThanTheHoldStillPausesForIt() {
        TimelineYield yield = new TimelineYield(500);
        assertThat(run(yield, 0, 60_000, TimelineYield.BURST_PER_TICK)).isPositive();
    }
}
