package dev.reflex.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Short versions of the fault runs of {@code bench/run-faults}: the same code and checker, the smallest numbers that
 * still exercise each fault: bad and hostile input, garbage on every topic, a broker restart, a registry outage, an actor
 * killed with SIGKILL, an alert storm. The engine kill, rebalance and lag runs are {@link EngineKillRunsTest}; the longer runs are
 * {@link LongFaultRunsTest}, in the {@code faults} profile.
 */
@Tag("integration")
class FaultRunsTest {
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
    void aBrokerRestartLosesNoAcceptedEvent() throws Exception {
        BrokerRestartRun.Report report = BrokerRestartRun.run(cluster, Duration.ofSeconds(10), Duration.ofSeconds(4));
        assertThat(report.problems()).isEmpty();
        assertThat(report.accepted()).isPositive();
    }

    @Test
    void anAlertStormIsDecidedActedOnWithinTheLimitsAndOnTheTimelineWithNothingLostOrRunTwice() throws Exception {
        StormRun.Report report = StormRun.run(cluster, new StormRun.Shape(1_000, Duration.ofSeconds(2), 50));
        assertThat(report.problems()).isEmpty();
        assertThat(report.actions()).isEqualTo(445);
        assertThat(report.executedTwice()).isZero();
        assertThat(report.limitsHeld()).isTrue();
        assertThat(report.lost()).isZero();
        assertThat(report.waitingNotices())
                .as("restarts of a pod beyond its rate (3 per 10 s) wait for it, those held for a second are told on"
                        + " the timeline (how many depends on when each was read)")
                .isPositive();
    }

    @Test
    void aRegistryOutageIsRetriedNotDeadLettered() throws Exception {
        RegistryOutageRun.Report report = RegistryOutageRun.run(cluster, 100, Duration.ofSeconds(4));
        assertThat(report.problems()).isEmpty();
        assertThat(report.deadLetters()).isZero();
    }

    @Test
    void anActorKilledMidActionExecutesEachActionAtLeastOnceAndReportsItOnce() throws Exception {
        ActorKillRun.Report report = ActorKillRun.run(cluster, 150, 1);
        assertThat(report.problems()).isEmpty();
        assertThat(report.kills()).isEqualTo(1);
    }

    @Test
    void malformedInputIsDeadLetteredWithAReasonAndValidInputIsProcessed() throws Exception {
        BadInputRun.Report report = BadInputRun.run(cluster, 400, 1);
        assertThat(report.problems()).isEmpty();
        assertThat(report.deadLetters()).isEqualTo(400);
        assertThat(report.threadFailures()).isZero();
        assertThat(report.reasons().values())
                .anyMatch(r -> r.contains("limit"))
                .anyMatch(r -> r.contains("UTF-8"))
                .anyMatch(r -> r.contains("does not know"))
                .anyMatch(r -> r.contains("'id' is missing"))
                .anyMatch(r -> r.contains("RFC 3339"))
                .anyMatch(r -> r.contains("extension name"));
    }

    @Test
    void garbageOnEveryTopicIsDeadLetteredAndTheNextEventIsActedOnAndReported() throws Exception {
        PoisonRun.Report report = PoisonRun.run(cluster, 2);
        System.out.println(report);
        assertThat(report.problems()).as(report.toString()).isEmpty();
        assertThat(report.executed()).isEqualTo(2);
        assertThat(report.logLinesWhileIdle()).isZero();
    }

    @Test
    void hostileHttpGetsClearRefusalsAndLosesNoAcceptedEvent() throws Exception {
        HostileHttpRun.Report report = HostileHttpRun.run(cluster, 500, 50, 100);
        assertThat(report.problems()).isEmpty();
        assertThat(report.answers())
                .containsEntry("200 MB chunked", "413")
                .containsEntry("wrong signature", "401")
                .containsEntry("text/plain", "415");
    }
}
