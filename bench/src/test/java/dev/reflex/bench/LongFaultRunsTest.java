package dev.reflex.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every fault run of {@code bench/run-faults --quick} (about 3 minutes), as tests: {@code ./mvnw -Pfaults verify -pl bench -am}.
 * Not part of the default build, which runs the short versions in {@link FaultRunsTest}.
 */
@Tag("long-faults")
class LongFaultRunsTest {
    private static FaultCluster cluster;

    @BeforeAll
    static void start() throws Exception {
        cluster = FaultCluster.start();
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    /** That the late-input checker finds what it looks for (in the default build only while the suite's time allows). */
    @Test
    void withDeadlinesByTheWallClockAloneTheSameRunFindsDeadlinesThatBeatTheirAnswers() throws Exception {
        LateInputRun.Report report =
                LateInputRun.run(cluster, LateInputRun.Fault.KILL, 20, Duration.ofSeconds(10), 0, true);
        System.out.println(report);
        // which deadlines beat their answers is a race between the timer and three hops of input after the restart;
        // many do
        assertThat(report.early()).isPositive();
        assertThat(report.problems()).anySatisfy(p -> assertThat(p).containsPattern("^(f|u|d)-\\d+ .*"));
    }

    @TestFactory
    Iterable<DynamicTest> everyQuickRunFindsNoLossDuplicateOrCrash() {
        return FaultRuns.RUNS.entrySet().stream()
                .map((Map.Entry<String, FaultRuns.Run> run) -> DynamicTest.dynamicTest(run.getKey(), () -> {
                    FaultReport report = run.getValue().run(cluster, true);
                    assertThat(report.ok()).as(report.toString()).isTrue();
                }))
                .toList();
    }
}
