package dev.reflex.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

import dev.reflex.engine.Engine;
import dev.reflex.engine.EngineConfig;
import dev.reflex.schemas.ContentTypes;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.TopicSpec;

/**
 * Events per second through (a) a pass-through Kafka Streams topology (source, mapValues, sink), the practical ceiling,
 * (a') the same writing as many records per event as Reflex writes for this workload, and (b) the Reflex engine with
 * each value of reflex.evaluate.partitioning, on the same broker and the same pre-produced events, under exactly_once_v2
 * and at_least_once. Every application is measured at steady state: from the moment its committed offsets cover 10% of
 * its input to the moment they cover all of it, after one untimed run of each kind has warmed the JVM's compiler (a
 * 15-second run is otherwise largely spent compiling). The rate from start, start-up included, is printed as well.
 * Also prints the records and bytes the default configuration writes per event, by topic.
 *
 * <p>Usage: {@code bench/run-throughput [--quick | EVENTS] [--only GUARANTEE/PARTITIONING | --stateful]} (default
 * 1,000,000 events, about 20 minutes; --quick is 50,000; --only runs just that engine configuration, e.g. for a
 * profiler, with any KEY=VALUE arguments after it as further engine settings; --stateful just the stateful workloads).
 */
public final class EngineThroughput {
    private EngineThroughput() {}

    /** The configuration a user gets without setting anything. */
    static final String DEFAULT_PARTITIONING = "auto";
    /** The engine's default, used for the pass-throughs too. */
    static final long COMMIT_INTERVAL_MS = EngineConfig.DEFAULT_COMMIT_INTERVAL_MS;
    /** The share of the input consumed before the clock starts. */
    static final double STEADY_FROM = 0.10;

    /**
     * A measured run: events/s at steady state, events/s from start, what its producers wrote, and the CPU time its own
     * threads (stream threads, their producers' network threads, the global thread) spent per event at steady state,
     * in microseconds. On a shared 2-core machine the rate moves with whatever else the cores do; the CPU per event is
     * closer to the work itself and moves less within a run, though both move with the machine's speed over time.
     */
    record Run(double steady, double fromStart, Written written, double cpuMicros) {}

    /** CPU time so far of each live thread whose name contains {@code app}, by thread id. */
    static Map<Long, Long> cpuOf(String app) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        Map<Long, Long> cpu = new HashMap<>();
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null && info.getThreadName().contains(app)) {
                long nanos = threads.getThreadCpuTime(info.getThreadId());
                if (nanos >= 0) {
                    cpu.put(info.getThreadId(), nanos);
                }
            }
        }
        return cpu;
    }

    /**
     * CPU per event between two {@link #cpuOf} snapshots by thread, the thread named without its application's id and
     * process id (e.g. {@code StreamThread-1}, {@code timeline-StreamThread-1-producer}): which part costs what.
     */
    static String cpuByThread(Map<Long, Long> before, Map<Long, Long> after, double events) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        Map<String, Long> byName = new TreeMap<>();
        for (Map.Entry<Long, Long> e : after.entrySet()) {
            ThreadInfo info = threads.getThreadInfo(e.getKey());
            String name = info == null
                    ? "ended"
                    : info.getThreadName()
                            .replaceAll("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-?", "")
                            .replaceAll("^.*?(timeline-)?((Global)?StreamThread)", "$1$2");
            byName.merge(name, e.getValue() - before.getOrDefault(e.getKey(), 0L), Long::sum);
        }
        StringBuilder out = new StringBuilder();
        byName.forEach((name, nanos) -> out.append(out.length() == 0 ? "" : ", ")
                .append(name)
                .append(' ')
                .append(String.format("%.1f", nanos / 1e3 / events)));
        return out.toString();
    }

    /** Nanoseconds of CPU spent between two {@link #cpuOf} snapshots (threads started in between count from zero). */
    static long cpuBetween(Map<Long, Long> before, Map<Long, Long> after) {
        long sum = 0;
        for (Map.Entry<Long, Long> e : after.entrySet()) {
            sum += e.getValue() - before.getOrDefault(e.getKey(), 0L);
        }
        return sum;
    }

    /** Records and bytes (in the record batches sent) an application wrote, in all and by topic. */
    record Written(double records, double bytes, Map<String, double[]> byTopic) {
        static Written of(Map<MetricName, ? extends Metric> metrics) {
            Map<String, double[]> byTopic = new TreeMap<>();
            for (Map.Entry<MetricName, ? extends Metric> e : metrics.entrySet()) {
                MetricName name = e.getKey();
                if (!name.group().equals("producer-topic-metrics")) {
                    continue;
                }
                double value = ((Number) e.getValue().metricValue()).doubleValue();
                double[] sums = byTopic.computeIfAbsent(name.tags().get("topic"), t -> new double[2]);
                if (name.name().equals("record-send-total")) {
                    sums[0] += value;
                } else if (name.name().equals("byte-total")) {
                    sums[1] += value;
                }
            }
            return new Written(
                    byTopic.values().stream().mapToDouble(s -> s[0]).sum(),
                    byTopic.values().stream().mapToDouble(s -> s[1]).sum(),
                    byTopic);
        }

        static Written sum(List<Written> all) {
            Map<String, double[]> byTopic = new TreeMap<>();
            all.forEach(w -> w.byTopic().forEach((topic, sums) -> {
                double[] total = byTopic.computeIfAbsent(topic, t -> new double[2]);
                total[0] += sums[0];
                total[1] += sums[1];
            }));
            return new Written(
                    all.stream().mapToDouble(Written::records).sum(),
                    all.stream().mapToDouble(Written::bytes).sum(),
                    byTopic);
        }
    }

    record Row(String guarantee, String partitioning, Run passThrough, Run sameWrites, Run reflex) {}

    public static void main(String[] args) throws Exception {
        int events = args.length == 0 ? 1_000_000 : args[0].equals("--quick") ? 50_000 : Integer.parseInt(args[0]);
        String only = args.length > 2 && args[1].equals("--only") ? args[2] : null;
        // with --only, any further KEY=VALUE arguments are engine settings (Kafka Streams and client ones included)
        Map<String, Object> settings = new LinkedHashMap<>();
        for (int i = 3; only != null && i < args.length; i++) {
            int eq = args[i].indexOf('=');
            if (eq < 1) {
                throw new IllegalArgumentException("expected KEY=VALUE after --only " + only + ", got " + args[i]);
            }
            settings.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        boolean statefulOnly = args.length > 1 && args[1].equals("--stateful");
        try (BenchCluster cluster = BenchCluster.start()) {
            System.err.printf("producing %,d events...%n", events);
            String input = "bench.input";
            cluster.createTopics(List.of(
                    new TopicSpec(input, false),
                    new TopicSpec("bench.passthrough.out", false),
                    new TopicSpec("bench.fanout.out", false)));
            cluster.produceEvents(input, events);
            System.err.println("warming up (untimed): one pass-through run and one engine run...");
            passThrough(cluster, input, StreamsConfig.EXACTLY_ONCE_V2, events, 1);
            Run warm = reflex(cluster, input, StreamsConfig.EXACTLY_ONCE_V2, DEFAULT_PARTITIONING, events);
            int copies = (int) Math.round(warm.written().records() / events);
            if (statefulOnly) {
                stateful(cluster, input, events);
                return;
            }
            List<Row> rows = new ArrayList<>();
            Written defaultWrites = null;
            for (String guarantee : List.of(StreamsConfig.EXACTLY_ONCE_V2, StreamsConfig.AT_LEAST_ONCE)) {
                if (only != null) {
                    if (only.startsWith(guarantee + "/")) {
                        reflex(
                                cluster,
                                input,
                                events,
                                BenchCluster.rulesYaml(),
                                0,
                                settings,
                                1,
                                guarantee,
                                only.substring(guarantee.length() + 1));
                    }
                    continue;
                }
                Run passThrough = passThrough(cluster, input, guarantee, events, 1);
                Run sameWrites = passThrough(cluster, input, guarantee, events, copies);
                for (String partitioning : List.of(DEFAULT_PARTITIONING, "subject", "ingest")) {
                    Run reflex = reflex(cluster, input, guarantee, partitioning, events);
                    rows.add(new Row(guarantee, partitioning, passThrough, sameWrites, reflex));
                    if (partitioning.equals(DEFAULT_PARTITIONING) && guarantee.equals(StreamsConfig.EXACTLY_ONCE_V2)) {
                        defaultWrites = reflex.written();
                    }
                }
            }
            if (only == null) {
                print(rows, copies, events, defaultWrites);
                stateful(cluster, input, events);
            }
        }
    }

    private static void print(List<Row> rows, int copies, int events, Written defaultWrites) {
        System.out.printf(
                "%nEvents per second at steady state (from 10%% to 100%% of the input consumed); %d = records Reflex writes per event; CPU: what the application's own threads spent per event at steady state (the broker's excluded).%n%n",
                copies);
        System.out.printf(
                "| guarantee | reflex.evaluate.partitioning | pass-through | %d-record pass-through | Reflex | Reflex / pass-through | Reflex / %d-record pass-through | Reflex from start, start-up included | CPU µs per event: %d-record pass-through / Reflex |%n",
                copies, copies, copies);
        System.out.printf("|---|---|---|---|---|---|---|---|---|%n");
        for (Row r : rows) {
            System.out.printf(
                    "| %s | %s%s | %,.0f | %,.0f | %,.0f | %.0f%% | %.0f%% | %,.0f | %.1f / %.1f |%n",
                    r.guarantee(),
                    r.partitioning(),
                    r.partitioning().equals(DEFAULT_PARTITIONING) ? " (default)" : "",
                    r.passThrough().steady(),
                    r.sameWrites().steady(),
                    r.reflex().steady(),
                    100 * r.reflex().steady() / r.passThrough().steady(),
                    100 * r.reflex().steady() / r.sameWrites().steady(),
                    r.reflex().fromStart(),
                    r.sameWrites().cpuMicros(),
                    r.reflex().cpuMicros());
        }
        for (Row r : rows) {
            if (r.guarantee().equals("exactly_once_v2") && r.partitioning().equals(DEFAULT_PARTITIONING)) {
                // for scripts: Reflex's CPU per event against the pass-through that writes as many records
                System.out.printf(
                        "%ncpu ratio, default exactly_once_v2: %.2f x%n",
                        r.reflex().cpuMicros() / r.sameWrites().cpuMicros());
            }
        }
        if (defaultWrites != null) {
            System.out.printf(
                    "%nWritten per event by the default configuration (exactly_once_v2, %s), by topic (bytes in the record batches sent, uncompressed):%n%n",
                    DEFAULT_PARTITIONING);
            System.out.printf("| topic | records per event | bytes per event |%n|---|---|---|%n");
            defaultWrites
                    .byTopic()
                    .forEach((topic, sums) ->
                            System.out.printf("| %s | %.2f | %,.0f |%n", topic, sums[0] / events, sums[1] / events));
            System.out.printf(
                    "| all | %.2f | %,.0f |%n", defaultWrites.records() / events, defaultWrites.bytes() / events);
        }
        System.out.printf(
                "%n%,d events of 500 bytes, %d partitions, %,d rules, %d matching per event; 1 stream thread, commit.interval.ms %d.%n",
                events, BenchCluster.PARTITIONS, BenchCluster.RULES, BenchCluster.MATCHES, COMMIT_INTERVAL_MS);
    }

    /**
     * A topology that does nothing but copy: source, mapValues, sink ({@code copies} 1), or with {@code copies} records
     * out per record in (flatMapValues), the same record count Reflex writes.
     */
    static Run passThrough(BenchCluster cluster, String input, String guarantee, int events, int copies)
            throws Exception {
        return passThrough(cluster, input, guarantee, events, copies, 1);
    }

    static Run passThrough(BenchCluster cluster, String input, String guarantee, int events, int copies, int threads)
            throws Exception {
        String app = "bench-passthrough-" + UUID.randomUUID();
        StreamsBuilder builder = new StreamsBuilder();
        var stream = builder.stream(input, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()));
        if (copies == 1) {
            stream.mapValues(v -> v).to("bench.passthrough.out", Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
        } else {
            stream.flatMapValues(v -> Collections.nCopies(copies, v))
                    .to("bench.fanout.out", Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
        }
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, app);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrap());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
        // the engine's default for both guarantees; at_least_once would otherwise commit only every 30 s
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, COMMIT_INTERVAL_MS);
        // and the engine's other defaults for Kafka settings (its producers' batch size)
        EngineConfig.KAFKA_DEFAULTS.forEach(d -> props.put(d.name(), d.value()));
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, threads);
        props.put(StreamsConfig.STATE_DIR_CONFIG, cluster.dir.resolve(app).toString());
        props.put("consumer.auto.offset.reset", "earliest");
        try (KafkaStreams streams = new KafkaStreams(builder.build(), props)) {
            long start = System.nanoTime();
            streams.start();
            Run run = timed(cluster, app, List.of(input), input, events, start, () -> Written.of(streams.metrics()));
            System.err.printf(
                    "pass-through %s, %d record(s) out per event, %d thread(s): %,.0f events/s (%,.0f from start), %.1f µs CPU per event%n",
                    guarantee, copies, threads, run.steady(), run.fromStart(), run.cpuMicros());
            return run;
        }
    }

    /** A flow with one step that waits for the workload's events of one type (keyed by subject) and waits again. */
    static final String FLOW = """
        kind: flow
        id: bench-flow
        start: {when: {source: bench, type: begin}}
        limits: {running: 1000000}
        steps:
          - id: listen
            wait: {for: {source: bench, type: type-0}, timeout: 1h}
            next: {event: listen, timeout: end}
        """;
    /** How many flow instances run while the flows workload is measured. */
    static final int FLOWS = 1_000;

    /**
     * The default configuration again on the plain workload, with every tenth rule a correlation rule, and with
     * {@value #FLOWS} flow instances running (started before the clock starts), one run after the other.
     */
    private static void stateful(BenchCluster cluster, String input, int events) throws Exception {
        String guarantee = StreamsConfig.EXACTLY_ONCE_V2;
        Run plain = reflex(cluster, input, guarantee, DEFAULT_PARTITIONING, events, BenchCluster.rulesYaml(), 0);
        Run correlation =
                reflex(cluster, input, guarantee, DEFAULT_PARTITIONING, events, BenchCluster.rulesYaml(10), 0);
        Run flows =
                reflex(cluster, input, guarantee, DEFAULT_PARTITIONING, events, BenchCluster.rulesYaml() + FLOW, FLOWS);
        System.out.printf(
                "%nStateful features, default configuration (%s, %s), same events, one run after the other:%n%n",
                guarantee, DEFAULT_PARTITIONING);
        System.out.printf(
                "| workload | events/s | / plain | records written per event | CPU µs per event |%n|---|---|---|---|---|%n");
        for (Map.Entry<String, Run> row : List.of(
                Map.entry("plain: 1,000 rules, 3 matching per event", plain),
                Map.entry(
                        "every 10th rule a correlation rule (count: {atLeast: 5, within: 1h} per subject)",
                        correlation),
                Map.entry(
                        String.format(
                                "plain, with %,d flow instances running (waiting for events of one of the 333 types, keyed by subject)",
                                FLOWS),
                        flows))) {
            Run r = row.getValue();
            System.out.printf(
                    "| %s | %,.0f | %.0f%% | %.2f | %.1f |%n",
                    row.getKey(),
                    r.steady(),
                    100 * r.steady() / plain.steady(),
                    r.written().records() / events,
                    r.cpuMicros());
        }
    }

    private static Run reflex(BenchCluster cluster, String input, String guarantee, String partitioning, int events)
            throws Exception {
        return reflex(cluster, input, guarantee, partitioning, events, BenchCluster.rulesYaml(), 0);
    }

    /** Runs the engine with {@code rules} over the events; with {@code flows} > 0, that many flow instances start first. */
    private static Run reflex(
            BenchCluster cluster,
            String input,
            String guarantee,
            String partitioning,
            int events,
            String rules,
            int flows)
            throws Exception {
        return reflex(cluster, input, events, rules, flows, Map.of(), 1, guarantee, partitioning);
    }

    /**
     * Runs {@code instances} engine instances (one application) with {@code rules} and {@code extra} settings over the
     * events; with {@code flows} > 0, that many flow instances start first.
     */
    static Run reflex(
            BenchCluster cluster,
            String input,
            int events,
            String rules,
            int flows,
            Map<String, Object> extra,
            int instances,
            String guarantee,
            String partitioning)
            throws Exception {
        TopicNames names = cluster.engineTopics(rules);
        // the engine reads the same pre-produced events, copied into its own ingest topic before timing starts
        String ingest = names.ingest("bench");
        if (flows > 0) {
            startFlows(cluster, ingest, flows);
        }
        cluster.copy(input, ingest);
        String what = String.format(
                "reflex %s, reflex.evaluate.partitioning=%s%s%s",
                guarantee,
                partitioning,
                extra.isEmpty() ? "" : ", " + extra,
                instances > 1 ? ", " + instances + " instances" : "");
        System.err.printf("%s: starting%n", what);
        List<Engine> engines = new ArrayList<>();
        long start = System.nanoTime();
        try {
            for (int i = 0; i < instances; i++) {
                Map<String, Object> settings =
                        new HashMap<>(cluster.engineSettings(names, guarantee, COMMIT_INTERVAL_MS, partitioning));
                settings.putAll(extra);
                settings.put(EngineConfig.STATE_DIR_CONFIG, settings.get(EngineConfig.STATE_DIR_CONFIG) + "-" + i);
                settings.put(EngineConfig.INSTANCE_ID_CONFIG, "bench-" + i);
                engines.add(Engine.start(new EngineConfig(settings)));
            }
            Run run = timed(
                    cluster,
                    names.prefix() + "engine",
                    BenchCluster.engineInputs(names, ingest, partitioning),
                    ingest,
                    events,
                    start,
                    () -> Written.sum(
                            engines.stream().map(e -> Written.of(e.metrics())).toList()));
            System.err.printf(
                    "%s: %,.0f events/s (%,.0f from start), %.2f records per event, %.1f µs CPU per event%n",
                    what, run.steady(), run.fromStart(), run.written().records() / events, run.cpuMicros());
            return run;
        } finally {
            engines.forEach(Engine::close);
        }
    }

    /** Start events for {@code flows} instances of {@link #FLOW}, keyed by the workload's subjects, ahead of its events. */
    private static void startFlows(BenchCluster cluster, String ingest, int flows) {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", cluster.bootstrap(), "acks", "all"),
                new ByteArraySerializer(),
                new ByteArraySerializer())) {
            for (int i = 0; i < flows; i++) {
                producer.send(BenchCluster.ingestRecord(
                        ingest,
                        "host-" + i,
                        ContentTypes.JSON,
                        ("{\"id\":\"begin-" + i + "\",\"type\":\"begin\",\"subject\":\"host-" + i + "\"}")
                                .getBytes(StandardCharsets.UTF_8)));
            }
            producer.flush();
        }
    }

    /** Waits for the group to consume its inputs; the rates, and what {@code written} says once it has. */
    private static Run timed(
            BenchCluster cluster,
            String group,
            List<String> inputs,
            String measured,
            int events,
            long start,
            Supplier<Written> written)
            throws Exception {
        var cpuAtSteady = new AtomicReference<Map<Long, Long>>(Map.of());
        long steadyFrom =
                cluster.awaitConsumed(group, inputs, measured, STEADY_FROM, () -> cpuAtSteady.set(cpuOf(group)));
        long end = System.nanoTime();
        Map<Long, Long> cpuAtEnd = cpuOf(group);
        long cpu = cpuBetween(cpuAtSteady.get(), cpuAtEnd);
        System.err.printf(
                "  CPU µs per event by thread: %s%n",
                cpuByThread(cpuAtSteady.get(), cpuAtEnd, events * (1 - STEADY_FROM)));
        double steady = events * (1 - STEADY_FROM) / ((end - steadyFrom) / 1e9);
        return new Run(steady, events / ((end - start) / 1e9), written.get(), cpu / 1e3 / (events * (1 - STEADY_FROM)));
    }
}
