package dev.reflex.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import dev.reflex.bench.ClusterFaultRun.Fault;
import dev.reflex.embedded.testing.Docker;

/**
 * The short version of {@code bench/run-faults cluster}: three brokers and two engines in containers, under load, with
 * the fault only a cluster shows and that loses or duplicates data when anything is wrong: an engine cut off from the
 * cluster for longer than its session timeout while the other takes over, which must fence it. The full run injects every
 * fault kind (broker and controller kills, a rolling restart, a broker cut off) and then mixes them for five minutes.
 */
// in the faults profile (./mvnw -Pfaults verify -pl bench -am): its six container JVMs beside the suite
// took the default build past its time on two cores
@Tag("docker")
@Tag("long-faults")
class ClusterFaultRunTest {
    @Test
    void onThreeBrokersAnEngineCutOffWhileTheOtherTakesOverIsFencedAndNothingIsLostDuplicatedOrHurried()
            throws Exception {
        Docker.requireOrSkip();
        // an event the checker is told was acknowledged, though it was never sent: it must be the one loss found
        ClusterLoad.Posted never =
                new ClusterLoad.Posted("t-never-sent", "tick", "s-0", 0, 202, System.currentTimeMillis());
        ClusterReport report = ClusterFaultRun.run(List.of(Fault.ENGINE_CUT_OFF), Duration.ZERO, 1L, List.of(never));
        System.out.println(report);
        assertThat(report.problems())
                .as(report.toString())
                .containsExactly("acknowledged event t-never-sent was never decided");
        assertThat(report.lost()).isEqualTo(1);
        assertThat(report.duplicated()).isZero();
        assertThat(report.early()).isZero();
        assertThat(report.injected()).isEqualTo(1);
        // the load went on through both faults (how much depends on how busy the machine is: it posts one event at a
        // time)
        assertThat(report.faults())
                .hasSize(1)
                .allSatisfy(line -> assertThat(line.events()).isPositive().isEqualTo(line.decided()));
        assertThat(report.deadlines()).isPositive();
    }
}
