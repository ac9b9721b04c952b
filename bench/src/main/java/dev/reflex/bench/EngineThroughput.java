package dev.reflex.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.TopicSpec;
import dev.reflex.engine.Engine;
import dev.reflex.engine.EngineConfig;

/**
 * Events per second through (a) a pass-through Kafka Streams topology (source, mapValues, sink), the practical ceiling,
 * (a') the same writing 6 copies of each record, as many records as Reflex writes per event of this workload, and
 * (b) the Reflex engine, on the same broker and the same pre-produced events, under exactly_once_v2 and
 * at_least_once. Each run starts from the beginning of its input and ends when the application's committed offsets
 * reach the end of its inputs; the time includes starting the application. Also prints how many records each wrote.
 *
 * <p>Usage: {@code bench/run-throughput [--quick | EVENTS]} (default 2,000,000 events, about 15 minutes; --quick is 50,000).
 */
public final class EngineThroughput {
    private EngineThroughput() {
    }

    record Result(String guarantee, String partitioning, double passThrough, double passThroughRecords, double fanOut,
                  double reflex, double reflexRecords) {
    }

    /** Records Reflex writes per matching event of the workload: the event, 3 actions, the decision, the dedup changelog. */
    static final int REFLEX_RECORDS_PER_EVENT = 6;

    public static void main(String[] args) throws Exception {
        int events = args.length == 0 ? 2_000_000 : args[0].equals("--quick") ? 50_000 : Integer.parseInt(args[0]);
        String only = args.length > 2 && args[1].equals("--only") ? args[2] : null;
        try (BenchCluster cluster = BenchCluster.start()) {
            System.err.printf("producing %,d events...%n", events);
            String input = "bench.input";
            cluster.createTopics(List.of(new TopicSpec(input, false), new TopicSpec("bench.passthrough.out", false),
                new TopicSpec("bench.fanout.out", false)));
            cluster.produceEvents(input, events);
            List<Result> results = new ArrayList<>();
            for (String guarantee : List.of(StreamsConfig.EXACTLY_ONCE_V2, StreamsConfig.AT_LEAST_ONCE)) {
                if (only != null) {
                    if (only.startsWith(guarantee + "/")) {
                        reflex(cluster, input, guarantee, only.substring(guarantee.length() + 1), events);
                    }
                    continue;
                }
                double[] passThrough = passThrough(cluster, input, guarantee, events, 1);
                double[] fanOut = passThrough(cluster, input, guarantee, events, REFLEX_RECORDS_PER_EVENT);
                for (String partitioning : List.of("subject", "ingest")) {
                    double[] reflex = reflex(cluster, input, guarantee, partitioning, events);
                    results.add(new Result(guarantee, partitioning, passThrough[0], passThrough[1], fanOut[0], reflex[0], reflex[1]));
                }
            }
            System.out.printf("%n| guarantee | reflex.evaluate.partitioning | pass-through events/s | pass-through writing %d records/event, events/s | Reflex events/s | Reflex / pass-through | Reflex / %d-record pass-through | records written per event: pass-through, Reflex | records written/s: pass-through, Reflex |%n",
                REFLEX_RECORDS_PER_EVENT, REFLEX_RECORDS_PER_EVENT);
            System.out.printf("|---|---|---|---|---|---|---|---|---|%n");
            for (Result r : results) {
                System.out.printf("| %s | %s | %,.0f | %,.0f | %,.0f | %.0f%% | %.0f%% | %.1f, %.1f | %,.0f, %,.0f |%n", r.guarantee(), r.partitioning(), r.passThrough(),
                    r.fanOut(), r.reflex(), 100 * r.reflex() / r.passThrough(), 100 * r.reflex() / r.fanOut(),
                    r.passThroughRecords() / events, r.reflexRecords() / events,
                    r.passThrough() * r.passThroughRecords() / events, r.reflex() * r.reflexRecords() / events);
            }
            System.out.printf("%n%,d events of 500 bytes, %d partitions, %,d rules, %d matching per event; 1 stream thread, commit.interval.ms 100.%n",
                events, BenchCluster.PARTITIONS, BenchCluster.RULES, BenchCluster.MATCHES);
        }
    }

    /** Returns events/s and the records the application wrote. */
    /**
     * A topology that does nothing but copy: source, mapValues, sink ({@code copies} 1), or with {@code copies} records
     * out per record in (flatMapValues), the same record count Reflex writes; returns events/s and records written.
     */
    private static double[] passThrough(BenchCluster cluster, String input, String guarantee, int events, int copies) throws Exception {
        String app = "bench-passthrough-" + UUID.randomUUID();
        StreamsBuilder builder = new StreamsBuilder();
        var stream = builder.stream(input, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()));
        if (copies == 1) {
            stream.mapValues(v -> v).to("bench.passthrough.out", Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
        } else {
            stream.flatMapValues(v -> java.util.Collections.nCopies(copies, v))
                .to("bench.fanout.out", Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
        }
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, app);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrap());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
        // the engine's default for both guarantees; at_least_once would otherwise commit only every 30 s
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        props.put(StreamsConfig.STATE_DIR_CONFIG, cluster.dir.resolve(app).toString());
        props.put("consumer.auto.offset.reset", "earliest");
        try (KafkaStreams streams = new KafkaStreams(builder.build(), props)) {
            long start = System.nanoTime();
            streams.start();
            cluster.awaitConsumed(app, List.of(input));
            double rate = events / ((System.nanoTime() - start) / 1e9);
            System.err.printf("pass-through %s, %d record(s) out per event: %,.0f events/s%n", guarantee, copies, rate);
            return new double[] {rate, BenchCluster.recordsSent(streams.metrics())};
        }
    }

    private static double[] reflex(BenchCluster cluster, String input, String guarantee, String partitioning, int events) throws Exception {
        TopicNames names = cluster.engineTopics();
        // the engine reads the same pre-produced events, copied into its own ingest topic before timing starts
        String ingest = names.ingest("bench");
        cluster.copy(input, ingest);
        long start = System.nanoTime();
        try (Engine engine = Engine.start(new EngineConfig(cluster.engineSettings(names, guarantee, 100, partitioning)))) {
            cluster.awaitConsumed(names.prefix() + "engine", BenchCluster.engineInputs(names, ingest, partitioning));
            double rate = events / ((System.nanoTime() - start) / 1e9);
            System.err.printf("reflex %s, evaluated by %s: %,.0f events/s%n", guarantee, partitioning, rate);
            return new double[] {rate, BenchCluster.recordsSent(engine.metrics())};
        }
    }
}
