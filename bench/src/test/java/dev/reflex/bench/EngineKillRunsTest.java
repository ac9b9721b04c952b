package dev.reflex.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import dev.reflex.schemas.TopicNames;

/**
 * Short versions of the fault runs of {@code bench/run-faults} that kill, rebalance or hold back the engine: nothing lost
 * or duplicated, every deadline once and none before an event that came in time for it, flows ending as without faults.
 * Engines run in their own JVMs and are killed with SIGKILL. The rest of the short runs are in {@link FaultRunsTest}
 * (its own JVM beside this one); the longer runs are {@link LongFaultRunsTest}, in the {@code faults} profile.
 */
@Tag("integration")
class EngineKillRunsTest {
    private static FaultCluster cluster;

    @BeforeAll
    static void start() throws Exception {
        cluster = FaultCluster.start();
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    @Test
    void killingEngineInstancesLosesAndDuplicatesNothing() throws Exception {
        KillRun.Report report = KillRun.run(cluster, 1_000, Duration.ofSeconds(6), Duration.ofSeconds(2));
        assertThat(report.problems()).isEmpty();
        assertThat(report.kills()).isGreaterThanOrEqualTo(2);
        assertThat(report.decisionsChecked()).isEqualTo(1_000);
        assertThat(report.actionsChecked()).isEqualTo(500);

        // the checker notices a missing event: ask it about one more event than was sent
        KillRun.Report altered = KillRun.check(
                cluster.bootstrap(),
                cluster.serdes(),
                new TopicNames(report.topicPrefix()),
                1_001,
                0,
                new ArrayList<>());
        assertThat(altered.problems())
                .contains(
                        "event k-1000 has 0 decisions",
                        "event k-1000 should have fired and did not",
                        "the timeline has 0 event entries for event k-1000",
                        "the timeline has 0 decision entries for event k-1000");
    }

    @ParameterizedTest
    @EnumSource(LateInputRun.Fault.class)
    void noDeadlineFiresBeforeAnEventThatReachedKafkaInTimeWhateverKeptTheEngineFromReadingIt(LateInputRun.Fault fault)
            throws Exception {
        LateInputRun.Report report = LateInputRun.run(
                cluster,
                fault,
                20,
                // the waits leave room on a busy machine to arm, put the backlog on Kafka (lag) and answer before the
                // first is due; the lag case's 400,000-event backlog took up to 18 s to put there beside the other
                // suite runs
                Duration.ofSeconds(
                        fault == LateInputRun.Fault.REBALANCE ? 11 : fault == LateInputRun.Fault.LAG ? 20 : 10),
                400_000,
                false);
        System.out.println(report);
        assertThat(report.problems()).as(report.toString()).isEmpty();
        assertThat(report.early()).isZero();
        // ten of each of the three kinds unanswered, each fired once; the other ten of each answered
        assertThat(report.fired()).isEqualTo(10 + 10 + 20);
    }

    @Test
    void flowInstancesEndAsWithoutKillsWhenTheEngineIsKilledWhileTheyWaitActAndBackOff() throws Exception {
        FlowKillRun.Report report = FlowKillRun.run(cluster, 20);
        assertThat(report.problems()).isEmpty();
        assertThat(report.kills()).isEqualTo(3);
        assertThat(report.ended()).isEqualTo(20);
        assertThat(report.calls()).isEqualTo(60);
    }
}
