package dev.reflex.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The fault and bad-input runs: {@code bench/run-faults [--quick] [--repeat=N] [RUN...]} with RUN one of kill, deadlines, late-kill, late-rebalance, late-lag (with --deadlines-by-clock: as if
 * reflex.deadlines.wait.for.input were false), flows, broker, registry,
 * actors, bad-input, poison, hostile-http on one broker in this process, or cluster (three brokers and two engines in
 * containers, {@link ClusterFaultRun}; needs Docker) (default: all). Prints one line per run (the cluster run one per
 * fault kind and a last line {@code cluster faults: ...}) and exits non-zero when a run found a loss,
 * a duplicate or a crash. The full runs take about 20 minutes; --quick about 8. --repeat=N runs them N times, stopping
 * at the first failure, after which the broker's view of the failed run's partitions (committed, last stable and high
 * offsets, open transactions) is printed; REFLEX_KAFKA_LOG_LEVEL=INFO in the environment puts the processes' Kafka
 * clients' logs at INFO.
 */
public final class FaultRuns {
    private FaultRuns() {}

    interface Run {
        FaultReport run(FaultCluster cluster, boolean quick) throws Exception;
    }

    static final Map<String, Run> RUNS = new LinkedHashMap<>();
    /** --deadlines-by-clock: the late-* runs with reflex.deadlines.wait.for.input=false, to see what they find then. */
    private static boolean byClock;

    static {
        RUNS.put(
                "kill",
                (c, quick) -> KillRun.run(
                        c,
                        quick ? 20_000 : 200_000,
                        Duration.ofSeconds(quick ? 30 : 120),
                        Duration.ofSeconds(quick ? 6 : 8)));
        RUNS.put(
                "deadlines",
                (c, quick) -> DeadlineKillRun.run(c, quick ? 1_000 : 10_000, Duration.ofSeconds(quick ? 30 : 60)));
        for (LateInputRun.Fault fault : LateInputRun.Fault.values()) {
            RUNS.put(
                    "late-" + fault.name().toLowerCase(Locale.ROOT),
                    (c, quick) -> LateInputRun.run(
                            c,
                            fault,
                            quick ? 50 : 500,
                            // the full backlog takes longer to produce than the quick one's wait
                            Duration.ofSeconds(
                                    fault == LateInputRun.Fault.REBALANCE
                                            ? 11
                                            : fault == LateInputRun.Fault.LAG ? (quick ? 12 : 30) : 10),
                            quick ? 400_000 : 2_000_000,
                            byClock));
        }
        RUNS.put("flows", (c, quick) -> FlowKillRun.run(c, quick ? 50 : 500));
        RUNS.put(
                "broker",
                (c, quick) -> BrokerRestartRun.run(
                        c, Duration.ofSeconds(quick ? 30 : 90), Duration.ofSeconds(quick ? 10 : 20)));
        RUNS.put(
                "registry",
                (c, quick) -> RegistryOutageRun.run(c, quick ? 400 : 4_000, Duration.ofSeconds(quick ? 15 : 45)));
        RUNS.put("actors", (c, quick) -> ActorKillRun.run(c, quick ? 600 : 3_000, quick ? 3 : 10));
        RUNS.put("bad-input", (c, quick) -> BadInputRun.run(c, quick ? 2_000 : 10_000, quick ? 2 : 5));
        RUNS.put("poison", (c, quick) -> PoisonRun.run(c, quick ? 2 : 20));
        RUNS.put(
                "hostile-http",
                (c, quick) -> HostileHttpRun.run(c, quick ? 2_000 : 10_000, quick ? 100 : 400, quick ? 200 : 2_000));
    }

    /** The cluster run: each fault kind once, then (unless quick) faults at random for five minutes. */
    static final String CLUSTER = "cluster";

    public static void main(String[] args) throws Exception {
        boolean quick = Arrays.asList(args).contains("--quick");
        byClock = Arrays.asList(args).contains("--deadlines-by-clock");
        List<String> chosen =
                Arrays.stream(args).filter(a -> !a.startsWith("--")).toList();
        for (String name : chosen) {
            if (!RUNS.containsKey(name) && !name.equals(CLUSTER)) {
                System.err.println("error: unknown run '" + name + "'; available: " + String.join(", ", RUNS.keySet())
                        + ", " + CLUSTER);
                System.exit(2);
            }
        }
        int repeat = Arrays.stream(args)
                .filter(a -> a.startsWith("--repeat="))
                .map(a -> Integer.parseInt(a.substring(9)))
                .findFirst()
                .orElse(1);
        List<String> failed = new ArrayList<>();
        if (chosen.isEmpty() || chosen.stream().anyMatch(RUNS::containsKey)) {
            runOnOneBroker(chosen, quick, repeat, failed);
        }
        for (int round = 1;
                round <= repeat && failed.isEmpty() && (chosen.isEmpty() || chosen.contains(CLUSTER));
                round++) {
            System.err.printf("run cluster%s...%n", repeat > 1 ? " (" + round + " of " + repeat + ")" : "");
            long start = System.nanoTime();
            ClusterReport report = ClusterFaultRun.run(
                    List.of(ClusterFaultRun.Fault.values()),
                    Duration.ofMinutes(quick ? 0 : 5),
                    System.nanoTime(),
                    List.of());
            System.err.printf("cluster run took %.0f s%n", (System.nanoTime() - start) / 1e9);
            System.out.println(report);
            if (!report.ok()) {
                failed.add(CLUSTER + (repeat > 1 ? " in round " + round : ""));
            }
        }
        if (!failed.isEmpty()) {
            System.out.println(
                    "FAILED: " + failed + "; the logs of the processes are under the printed temporary directory");
            System.exit(1);
        }
    }

    private static void runOnOneBroker(List<String> chosen, boolean quick, int repeat, List<String> failed)
            throws Exception {
        try (FaultCluster cluster = FaultCluster.start()) {
            System.err.println("processes' logs: " + cluster.dir);
            for (int round = 1; round <= repeat && failed.isEmpty(); round++) {
                for (Map.Entry<String, Run> run : RUNS.entrySet()) {
                    if (!chosen.isEmpty() && !chosen.contains(run.getKey())) {
                        continue;
                    }
                    System.err.printf(
                            "run %s%s...%n", run.getKey(), repeat > 1 ? " (" + round + " of " + repeat + ")" : "");
                    long start = System.nanoTime();
                    FaultReport report = run.getValue().run(cluster, quick);
                    System.out.printf(
                            "%s%s (%.0f s)%n",
                            repeat > 1 ? round + ": " : "", report, (System.nanoTime() - start) / 1e9);
                    if (!report.ok()) {
                        failed.add(run.getKey() + (repeat > 1 ? " in round " + round : ""));
                        // what the broker says of the run's topics and the engines' group, while it is as the run left
                        // it
                        cluster.lastTopics().ifPresent(names -> {
                            try {
                                System.out.println(StallReport.of(
                                        cluster.admin(), names.prefix() + "engine", List.of(names.prefix() + "*")));
                            } catch (Exception e) {
                                System.out.println("no stall report: " + e);
                            }
                        });
                    }
                }
            }
        }
    }
}
