package dev.reflex.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;

import dev.reflex.engine.Engine;
import dev.reflex.engine.EngineConfig;
import dev.reflex.schemas.Action;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.registry.SchemaRegistryClient;
import dev.reflex.schemas.serde.ReflexSerdes;

/**
 * End-to-end latency of the engine under exactly_once_v2: from the producer's send of an event to its first action
 * being visible to a read_committed consumer, at fixed rates, for several commit.interval.ms values; and, for each
 * commit interval, the most events per second the engine processes from a backlog. Send times are the scheduled ones,
 * so a stalled producer does not hide latency (no coordinated omission).
 *
 * <p>Usage: {@code bench/run-latency [--quick]}: rates 500, 1,000 and 2,000 events/s for the default settings
 * (reflex.evaluate.partitioning=auto, commit.interval.ms 50), the former commit interval (100) and the other
 * partitionings, 30 s per rate after 5 s of warm-up, after one untimed engine run (about 12 minutes); --quick measures
 * the default and subject for 6 s each.
 */
public final class EngineLatency {
    private EngineLatency() {}

    public static void main(String[] args) throws Exception {
        boolean quick = Arrays.asList(args).contains("--quick");
        // (reflex.evaluate.partitioning, commit.interval.ms); the first is the default configuration
        long standard = EngineConfig.DEFAULT_COMMIT_INTERVAL_MS;
        List<Map.Entry<String, Long>> setups = quick
                ? List.of(Map.entry("auto", standard), Map.entry("subject", standard))
                : List.of(
                        Map.entry("auto", standard),
                        Map.entry("auto", 100L),
                        Map.entry("subject", standard),
                        Map.entry("ingest", standard));
        List<Integer> rates = List.of(500, 1_000, 2_000);
        int seconds = quick ? 6 : 30;
        int backlog = quick ? 20_000 : 100_000;
        List<String> rows = new ArrayList<>();
        try (BenchCluster cluster = BenchCluster.start()) {
            System.err.println("warming up (untimed)...");
            maxRate(cluster, "auto", standard, backlog);
            for (Map.Entry<String, Long> setup : setups) {
                String partitioning = setup.getKey();
                long interval = setup.getValue();
                StringBuilder row = new StringBuilder(
                        "| " + partitioning + " | " + interval + (rows.isEmpty() ? " (the defaults)" : "") + " | ");
                row.append(String.format("%,.0f", maxRate(cluster, partitioning, interval, backlog)));
                for (int rate : rates) {
                    long[] latencies = latencies(cluster, partitioning, interval, rate, seconds);
                    row.append(String.format(
                            " | %.1f / %.1f / %.1f", ms(latencies, 0.50), ms(latencies, 0.99), ms(latencies, 0.999)));
                }
                rows.add(row.append(" |").toString());
            }
        }
        System.out.printf(
                "%n| reflex.evaluate.partitioning | commit.interval.ms | max events/s | p50 / p99 / p99.9 ms at %s |%n|---|---|---|%s%n",
                rates.stream().map(r -> String.format("%,d/s", r)).collect(Collectors.joining(" | at ")),
                " --- |".repeat(rates.size()));
        rows.forEach(System.out::println);
        System.out.printf(
                "%nexactly_once_v2, 1 stream thread, 1,000 rules, 3 actions per event, %d s per rate after 5 s of warm-up;"
                        + " latency = send to first action visible to a read_committed consumer; max events/s from a backlog of %,d.%n",
                seconds, backlog);
    }

    private static double maxRate(BenchCluster cluster, String partitioning, long interval, int events)
            throws Exception {
        TopicNames names = cluster.engineTopics();
        cluster.produceEvents(names.ingest("bench"), events);
        try (Engine engine = Engine.start(new EngineConfig(
                cluster.engineSettings(names, StreamsConfig.EXACTLY_ONCE_V2, interval, partitioning)))) {
            // timed from the moment the engine has its rules loaded and starts processing the backlog
            engine.awaitRunning(Duration.ofMinutes(2));
            long start = System.nanoTime();
            cluster.awaitConsumed(
                    names.prefix() + "engine", BenchCluster.engineInputs(names, names.ingest("bench"), partitioning));
            double rate = events / ((System.nanoTime() - start) / 1e9);
            System.err.printf(
                    "%s, commit.interval.ms %d: %,.0f events/s from a backlog%n", partitioning, interval, rate);
            return rate;
        }
    }

    private static long[] latencies(BenchCluster cluster, String partitioning, long interval, int rate, int seconds)
            throws Exception {
        TopicNames names = cluster.engineTopics();
        int warmUp = 5 * rate;
        int total = warmUp + seconds * rate;
        Map<String, Long> sentAt = new ConcurrentHashMap<>();
        long[] latencies = new long[total - warmUp];
        int[] measured = {0};
        AtomicBoolean stop = new AtomicBoolean();
        ReflexSerdes serdes = new ReflexSerdes(new SchemaRegistryClient(cluster.registry.url()), false);
        try (Engine engine = Engine.start(new EngineConfig(
                        cluster.engineSettings(names, StreamsConfig.EXACTLY_ONCE_V2, interval, partitioning)));
                KafkaConsumer<String, Action> consumer = new KafkaConsumer<>(
                        Map.of("bootstrap.servers", cluster.bootstrap(), "isolation.level", "read_committed"),
                        new StringDeserializer(),
                        serdes.value(Action.class).deserializer());
                KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                        Map.of("bootstrap.servers", cluster.bootstrap(), "acks", "all", "linger.ms", 1),
                        new ByteArraySerializer(),
                        new ByteArraySerializer())) {
            engine.awaitRunning(Duration.ofMinutes(2));
            String topic = names.actions(BenchCluster.SYSTEM);
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Thread reader = new Thread(
                    () -> {
                        while (!stop.get()) {
                            for (ConsumerRecord<String, Action> record : consumer.poll(Duration.ofMillis(20))) {
                                long now = System.nanoTime();
                                String eventId = record.value().getEventId();
                                Long sent = sentAt.remove(eventId);
                                int index = Integer.parseInt(eventId.substring(2));
                                if (sent != null && index >= warmUp) {
                                    synchronized (latencies) {
                                        latencies[measured[0]++] = now - sent;
                                    }
                                }
                            }
                        }
                    },
                    "latency-reader");
            reader.start();
            long period = TimeUnit.SECONDS.toNanos(1) / rate;
            long start = System.nanoTime();
            for (int i = 0; i < total; i++) {
                long due = start + i * period;
                long wait;
                while ((wait = due - System.nanoTime()) > 0) {
                    if (wait > 200_000) {
                        Thread.sleep(0, (int) Math.min(wait - 100_000, 999_999));
                    } else {
                        Thread.onSpinWait();
                    }
                }
                sentAt.put("l-" + i, due);
                producer.send(BenchCluster.record(names.ingest("bench"), i, "l-"));
            }
            producer.flush();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!sentAt.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            stop.set(true);
            reader.join();
            if (!sentAt.isEmpty()) {
                System.err.printf("%,d events had no action within 60 s%n", sentAt.size());
            }
        }
        long[] result = Arrays.copyOf(latencies, measured[0]);
        Arrays.sort(result);
        System.err.printf(
                "%s, commit.interval.ms %d at %,d/s: p50 %.1f ms, p99 %.1f ms, p99.9 %.1f ms, max %.1f ms (%,d events)%n",
                partitioning,
                interval,
                rate,
                ms(result, 0.5),
                ms(result, 0.99),
                ms(result, 0.999),
                ms(result, 1.0),
                result.length);
        return result;
    }

    private static double ms(long[] sorted, double quantile) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[Math.max(0, Math.min(sorted.length - 1, (int) Math.ceil(quantile * sorted.length) - 1))] / 1e6;
    }
}
