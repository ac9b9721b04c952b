package dev.reflex.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.streams.StreamsConfig;

import dev.reflex.schemas.TopicSpec;

/**
 * What more stream threads and more instances give on one machine: the throughput harness's workload on 8 partitions,
 * default configuration (exactly_once_v2, partitioning auto), with 1 instance of 1 thread, 1 instance of 2 threads and
 * 2 instances of 1 thread each (one application, in this JVM), against a pass-through with 1 and 2 threads; measured at
 * steady state after a warm-up, one run after the other. The broker shares the machine's cores with everything else,
 * so this shows how the work spreads, not what more machines would give.
 *
 * <p>Usage: {@code bench/run-scaling [--quick | EVENTS]} (default 500,000 events, about 8 minutes; --quick is 100,000).
 */
public final class EngineScaling {
    static final int PARTITIONS = 8;

    private EngineScaling() {}

    public static void main(String[] args) throws Exception {
        int events = args.length == 0 ? 500_000 : args[0].equals("--quick") ? 100_000 : Integer.parseInt(args[0]);
        String eos = StreamsConfig.EXACTLY_ONCE_V2;
        String partitioning = EngineThroughput.DEFAULT_PARTITIONING;
        try (BenchCluster cluster = BenchCluster.start(PARTITIONS)) {
            System.err.printf("producing %,d events...%n", events);
            String input = "bench.input";
            cluster.createTopics(List.of(new TopicSpec(input, false), new TopicSpec("bench.passthrough.out", false)));
            cluster.produceEvents(input, events);
            System.err.println("warming up (untimed)...");
            EngineThroughput.passThrough(cluster, input, eos, events, 1);
            EngineThroughput.reflex(
                    cluster, input, events, BenchCluster.rulesYaml(), 0, Map.of(), 1, eos, partitioning);
            List<String[]> rows = new ArrayList<>();
            for (int threads : List.of(1, 2)) {
                EngineThroughput.Run run = EngineThroughput.passThrough(cluster, input, eos, events, 1, threads);
                rows.add(
                        new String[] {"pass-through", "1", String.valueOf(threads), String.format("%,.0f", run.steady())
                        });
            }
            String threads = StreamsConfig.NUM_STREAM_THREADS_CONFIG;
            for (int[] shape : new int[][] {{1, 1}, {1, 2}, {2, 1}}) {
                EngineThroughput.Run run = EngineThroughput.reflex(
                        cluster,
                        input,
                        events,
                        BenchCluster.rulesYaml(),
                        0,
                        Map.of(threads, shape[1]),
                        shape[0],
                        eos,
                        partitioning);
                rows.add(new String[] {
                    "Reflex", String.valueOf(shape[0]), String.valueOf(shape[1]), String.format("%,.0f", run.steady())
                });
            }
            System.out.printf(
                    "%n| application | instances | stream threads each | events/s at steady state |%n|---|---|---|---|%n");
            rows.forEach(r -> System.out.printf("| %s | %s | %s | %s |%n", (Object[]) r));
            System.out.printf(
                    "%n%,d events of 500 bytes, %d partitions, %,d rules, 3 matching per event, %s, partitioning %s, commit.interval.ms %d;"
                            + " broker, registry and every instance on this machine's %d cores.%n",
                    events,
                    PARTITIONS,
                    BenchCluster.RULES,
                    eos,
                    partitioning,
                    EngineThroughput.COMMIT_INTERVAL_MS,
                    Runtime.getRuntime().availableProcessors());
        }
    }
}
