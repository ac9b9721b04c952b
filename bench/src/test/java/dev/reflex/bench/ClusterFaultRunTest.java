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
 * the two faults that lose data when anything is wrong (the leader of most of the engine's partitions killed with SIGKILL;
 * an engine cut off from the cluster while the other takes over, which must fence it). The full run injects every fault
 * kind and then mixes them for five minutes.
 */
@Tag("docker")
class ClusterFaultRunTest {
    @Test
    void onThreeBrokersALeaderKilledAndAnEngineCutOffLoseDuplicateAndHurryNothing() throws Exception {
        Docker.requireOrSkip();
        // an event the checker is told was acknowledged, though it was never sent: it must be the one loss found
        ClusterLoad.Posted never = new ClusterLoad.Posted("t-never-sent", "tick", "s-0", 0, 202, System.currentTimeMillis());
        ClusterCheck.Report report = ClusterFaultRun.run(List.of(Fault.LEADER_KILL, Fault.ENGINE_CUT_OFF), Duration.ZERO, 1L, List.of(never));
        System.out.println(report);
        assertThat(report.problems()).as(report.toString()).containsExactly("acknowledged event t-never-sent was never decided");
        assertThat(report.lost()).isEqualTo(1);
        assertThat(report.duplicated()).isZero();
        assertThat(report.early()).isZero();
        assertThat(report.injected()).isEqualTo(2);
        assertThat(report.events()).isGreaterThan(1_000);
        assertThat(report.deadlines()).isPositive();
    }
}
