package dev.reflex.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import dev.reflex.audit.history.HistoryReader;
import dev.reflex.audit.history.ReadProgress;
import dev.reflex.audit.publish.RulePublisher;
import dev.reflex.audit.replay.AuditRun;
import dev.reflex.audit.replay.DecisionReplay;
import dev.reflex.audit.replay.WhatIf;
import dev.reflex.audit.replay.WhatIfRun;
import dev.reflex.rules.Evaluator;
import dev.reflex.rules.RuleIndex;
import dev.reflex.rules.files.RuleFiles;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.KafkaConnection;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.registry.SchemaRegistryClient;
import dev.reflex.schemas.serde.ReflexSerdes;

/**
 * How fast {@code reflex replay} re-evaluates recorded history, in both modes. Records a history of EVENTS events of
 * the throughput workload (1,000 rules, 3 matching per event) with their decisions, as the engine writes them (a
 * decision carries its event's record timestamp), then runs what {@code reflex replay} runs (the audit module's
 * {@link AuditRun} and {@link WhatIfRun}): the audit over the whole range, and a what-if with one rule changed. Prints
 * events/s for each.
 *
 * <p>Usage: {@code bench/run-replay [--quick | EVENTS]} (default 1,000,000 events; --quick is 100,000).
 */
public final class ReplayThroughput {
    private ReplayThroughput() {}

    public static void main(String[] args) throws Exception {
        int events = args.length == 0 ? 1_000_000 : args[0].equals("--quick") ? 100_000 : Integer.parseInt(args[0]);
        try (BenchCluster cluster = BenchCluster.start()) {
            TopicNames names = cluster.engineTopics();
            Instant first = record(cluster, names, events);
            Instant last = first.plusMillis(events - 1);
            Path proposed = Files.createTempDirectory("reflex-bench-rules");
            // rule-0 tightened: the type-0 events (1 in 333) stop firing it
            Files.writeString(
                    proposed.resolve("rules.yaml"), BenchCluster.rulesYaml().replaceFirst("cpu > 90", "cpu > 98"));
            List<String[]> rows = new ArrayList<>();
            rows.add(run(cluster, names, "audit", first, last, null));
            rows.add(run(cluster, names, "what-if", first, last, proposed));
            System.out.printf(
                    "%n| mode | events | replay events/s (reading and re-evaluating) | wall time incl. reading the rule history |%n|---|---|---|---|%n");
            rows.forEach(r -> System.out.printf("| %s | %s | %s | %s |%n", (Object[]) r));
            System.out.printf(
                    "%n%,d recorded events of 500 bytes with their decisions, %d partitions, %,d rules, %d matching per event;"
                            + " reflex replay in this JVM (%s), broker in the same JVM.%n",
                    events, BenchCluster.PARTITIONS, BenchCluster.RULES, BenchCluster.MATCHES, Runtime.version());
        }
    }

    /** Writes the events and their decisions as the engine would have; returns the first record time. */
    private static Instant record(BenchCluster cluster, TopicNames names, int events) {
        ReflexSerdes serdes = new ReflexSerdes(new SchemaRegistryClient(cluster.registry.url()), true);
        RuleIndex rules = WhatIf.index(
                RuleFiles.parse("bench.yaml", BenchCluster.rulesYaml()).rules());
        Instant first = Instant.now().minusSeconds(3_600);
        System.err.printf("recording %,d events and their decisions...%n", events);
        long began = System.nanoTime();
        try (KafkaProducer<String, Event> eventProducer = new KafkaProducer<>(
                        producerSettings(cluster),
                        new StringSerializer(),
                        serdes.value(Event.class).serializer());
                KafkaProducer<String, Decision> decisionProducer = new KafkaProducer<>(
                        producerSettings(cluster),
                        new StringSerializer(),
                        serdes.value(Decision.class).serializer())) {
            for (int i = 0; i < events; i++) {
                Instant at = first.plusMillis(i);
                String subject = "host-" + (i % 5_000);
                Event event = Event.newBuilder()
                        .setId("e-" + i)
                        .setSource("bench")
                        .setType("type-" + (i % (BenchCluster.RULES / BenchCluster.MATCHES)))
                        .setSubject(subject)
                        .setTime(at)
                        .setData(new String(BenchCluster.event(i, "e-"), StandardCharsets.UTF_8))
                        .build();
                Decision decision =
                        Evaluator.evaluate(event, rules, name -> null, at).toDecision(event, "bench", at);
                eventProducer.send(new ProducerRecord<>(names.events(), null, at.toEpochMilli(), subject, event));
                decisionProducer.send(
                        new ProducerRecord<>(names.decisions(), null, at.toEpochMilli(), event.getId(), decision));
            }
        }
        System.err.printf("recorded in %.1f s%n", (System.nanoTime() - began) / 1e9);
        return first;
    }

    private static Map<String, Object> producerSettings(BenchCluster cluster) {
        return Map.of(
                "bootstrap.servers",
                cluster.bootstrap(),
                "linger.ms",
                20,
                "batch.size",
                262_144,
                "compression.type",
                "lz4");
    }

    /** Runs an audit (no proposed rules) or a what-if against {@code proposed}, as reflex replay does; one row of the table. */
    private static String[] run(
            BenchCluster cluster, TopicNames names, String mode, Instant from, Instant to, Path proposed)
            throws Exception {
        System.err.println(mode + " of " + names.events() + " from " + from + " to " + to);
        long began = System.nanoTime();
        ReflexSerdes serdes = new ReflexSerdes(new SchemaRegistryClient(cluster.registry.url()), true);
        long events;
        double seconds;
        try (HistoryReader reader = new HistoryReader(KafkaConnection.plaintext(cluster.bootstrap()), names, serdes)) {
            DecisionReplay replay = new DecisionReplay(reader.ruleHistory());
            if (proposed == null) {
                AuditRun.Report report = AuditRun.run(reader, replay, from, to, null, 20, ReadProgress.NONE);
                if (!report.ok()) {
                    throw new IllegalStateException(
                            report.notReproduced() + " decisions did not reproduce; the recorded decisions should all");
                }
                events = report.pairs().events();
                seconds = report.seconds();
            } else {
                WhatIfRun.Report report =
                        WhatIfRun.run(reader, replay, RulePublisher.load(proposed), from, to, null, ReadProgress.NONE);
                events = report.whatIf().events();
                seconds = report.seconds();
            }
        }
        double wall = (System.nanoTime() - began) / 1e9;
        return new String[] {
            mode,
            String.format("%,d", events),
            String.format("%,.0f", events / Math.max(seconds, 1e-3)),
            String.format("%.1f s", wall)
        };
    }
}
