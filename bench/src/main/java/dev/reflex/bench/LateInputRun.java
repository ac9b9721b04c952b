package dev.reflex.bench;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import dev.reflex.rules.flow.FlowRunner;
import dev.reflex.schemas.ContentTypes;
import dev.reflex.schemas.CorrelationRole;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.DecisionDetail;
import dev.reflex.schemas.FlowTransition;
import dev.reflex.schemas.Outcome;
import dev.reflex.schemas.RuleOutcome;
import dev.reflex.schemas.TopicNames;

/**
 * No deadline beats an event that came in time. Flow waits, {@code unless} and {@code debounce} deadlines are armed;
 * then, while the engine cannot read them (killed with SIGKILL; one of two instances killed, so the group rebalances;
 * or behind a backlog it is working off), the events that answer half of them are put on Kafka before the deadlines
 * are due, and the deadlines become due. Afterwards each answered wait must have ended by its event, each answered
 * {@code unless} been cancelled, each answered {@code debounce} fired once with the later event; each unanswered
 * deadline fired exactly once. Prints how late the deadlines fired.
 */
final class LateInputRun {
    enum Fault {
        KILL("the engine killed with SIGKILL and started again after they were due"),
        REBALANCE("one of two engines killed with SIGKILL, the other taking over its partitions"),
        LAG("the engine behind a backlog of events it works off");

        final String words;

        Fault(String words) {
            this.words = words;
        }
    }

    static final String RULES = """
        kind: flow
        id: guard
        start: {when: {source: late, type: deploy.started}}
        steps:
          - id: healthy
            wait: {for: {source: late, type: service.healthy}, timeout: WAIT}
            next: {event: end, timeout: rollback}
          - id: rollback
            set: {context: {rolledBack: "yes"}}
        ---
        id: still-firing
        when: {source: late, type: alert.firing}
        correlate:
          unless: {source: late, type: alert.resolved, within: WAIT}
        then:
          - {system: ops, action: page, params: {key: "${correlation.key}"}}
        ---
        id: settle
        when: {source: late, type: changed}
        correlate:
          debounce: WAIT
        then:
          - {system: ops, action: notify, params: {key: "${correlation.key}"}}
        """;
    private static final Pattern LATE = Pattern.compile("\\((\\d+) ms late\\)");

    record Report(
            Fault fault,
            int keys,
            int answered,
            int fired,
            int early,
            long lateP50,
            long lateP99,
            long lateMax,
            List<String> problems)
            implements FaultReport {
        @Override
        public String toString() {
            return String.format(
                    "deadlines and late input, %s: %,d flow waits, %,d unless, %,d debounce; %,d of each answered in "
                            + "time; %,d deadlines fired (late by p50 %,d ms, p99 %,d ms, max %,d ms), %d early: %s",
                    fault.words,
                    keys,
                    keys,
                    keys,
                    answered,
                    fired,
                    lateP50,
                    lateP99,
                    lateMax,
                    early,
                    ok()
                            ? "every answer applied before its deadline"
                            : problems.size() + " problems: " + problems.subList(0, Math.min(10, problems.size())));
        }
    }

    /**
     * Runs {@code fault} with {@code keys} keys per kind of deadline, each due {@code wait} after it was armed; for
     * {@link Fault#LAG}, {@code backlog} events go ahead of the answers. {@code byClock} fires deadlines by the wall clock
     * alone (reflex.deadlines.wait.for.input=false), to see what the run finds without the engine waiting for its input.
     */
    static Report run(FaultCluster cluster, Fault fault, int keys, Duration wait, int backlog, boolean byClock)
            throws Exception {
        TopicNames names = cluster.topics("ops");
        String ingest = names.ingest("late");
        cluster.createTopic(ingest);
        BenchCluster.publishRules(
                cluster.bootstrap(), cluster.registryUrl(), names, RULES.replace("WAIT", wait.toMillis() + "ms"));
        List<Child> engines = new ArrayList<>();
        for (String instance : fault == Fault.REBALANCE ? List.of("a", "b") : List.of("a")) {
            List<String> args = new ArrayList<>(cluster.engineArgs(names, instance));
            // the backlog's events match no rule: no decision for them keeps the topic the checker reads small
            args.addAll(List.of(
                    "--set",
                    "reflex.decisions.unmatched=none",
                    "--set",
                    "reflex.deadlines.wait.for.input=" + !byClock));
            engines.add(new Child(
                            "engine-" + instance,
                            cluster.dir.resolve(names.prefix() + "engine-" + instance + ".log"),
                            args)
                    .start());
        }
        cluster.awaitEngines(names.prefix() + "engine", engines.size(), Duration.ofMinutes(2));
        List<String> problems = new ArrayList<>();
        try (CheckedProducer<byte[], byte[]> producer = CheckedProducer.bytes(cluster.bootstrap())) {
            for (int i = 0; i < keys; i++) {
                send(producer, ingest, "deploy.started", "f-" + i, "start-f-" + i);
                send(producer, ingest, "alert.firing", "u-" + i, "arm-u-" + i);
                send(producer, ingest, "changed", "d-" + i, "arm-d-" + i);
            }
            producer.flush();
            Armed armed = awaitArmed(cluster, names, keys, System.currentTimeMillis() + 120_000);
            if (armed.count() < 3 * keys) {
                problems.add("only " + armed.count() + " of " + 3 * keys + " deadlines armed within 120 s");
            }
            switch (fault) {
                case KILL -> engines.get(0).kill();
                case REBALANCE -> engines.get(1).kill();
                case LAG -> flood(cluster.bootstrap(), ingest, backlog);
            }
            System.err.printf(
                    "  %s with %,d deadlines armed, the first due in %,d ms%n",
                    fault == Fault.LAG ? String.format("%,d events put ahead of the answers", backlog) : fault.words,
                    armed.count(),
                    armed.firstDue() - System.currentTimeMillis());
            int answered = 0;
            for (int i = 0; i < keys; i += 2) {
                send(producer, ingest, "service.healthy", "f-" + i, "healthy-f-" + i);
                send(producer, ingest, "alert.resolved", "u-" + i, "resolved-u-" + i);
                send(producer, ingest, "changed", "d-" + i, "again-d-" + i);
                answered++;
            }
            producer.flush();
            long acked = System.currentTimeMillis();
            if (acked >= armed.firstDue()) {
                problems.add("the answers were on Kafka only " + (acked - armed.firstDue())
                        + " ms after the first deadline was due: "
                        + "make the wait longer than the time to arm and answer");
            }
            Thread.sleep(Math.max(0, armed.lastDue() - System.currentTimeMillis()) + 2_000);
            if (fault == Fault.KILL) {
                engines.get(0).start();
            }
            awaitDone(cluster, names, keys, System.currentTimeMillis() + 180_000);
            Thread.sleep(2_000); // anything fired twice would show by now
            for (Child engine : engines) {
                String exit = engine.exitedByItself();
                if (!exit.isEmpty()) {
                    problems.add(exit);
                }
                engine.stop();
            }
            return check(cluster, names, fault, keys, answered, problems);
        }
    }

    private static void send(
            CheckedProducer<byte[], byte[]> producer, String topic, String type, String subject, String id) {
        producer.send(BenchCluster.ingestRecord(
                topic,
                subject,
                ContentTypes.JSON,
                ("{\"id\":\"" + id + "\",\"type\":\"" + type + "\",\"subject\":\"" + subject + "\"}")
                        .getBytes(StandardCharsets.UTF_8)));
    }

    /** {@code count} events no rule matches, as fast as the producer sends them: a backlog ahead of what comes next. */
    private static void flood(String bootstrap, String topic, int count) {
        try (CheckedProducer<byte[], byte[]> producer = new CheckedProducer<>(
                bootstrap,
                Map.of("linger.ms", 20, "batch.size", 262_144),
                new ByteArraySerializer(),
                new ByteArraySerializer())) {
            for (int i = 0; i < count; i++) {
                send(producer, topic, "noise", "n-" + (i % 1_000), "noise-" + i);
                if (i % 500_000 == 499_999) {
                    // checked in slices of the full run's 2,000,000 (the producer keeps what it has not seen written);
                    // the suite's 400,000 go in one, as fast as before the sends were checked
                    producer.flush();
                }
            }
            producer.flush();
        }
    }

    private record Armed(int count, long firstDue, long lastDue) {}

    private static Armed awaitArmed(FaultCluster cluster, TopicNames names, int keys, long until)
            throws InterruptedException {
        Armed armed = new Armed(0, Long.MAX_VALUE, 0);
        while (System.currentTimeMillis() < until) {
            List<Long> dues = new ArrayList<>();
            for (RuleOutcome o : correlationSteps(cluster, names)) {
                if (o.getOutcome() == Outcome.ARMED && o.getCorrelation().getRole() == CorrelationRole.TRIGGER) {
                    dues.add(o.getCorrelation().getDueAt());
                }
            }
            for (List<FlowTransition> history : histories(cluster, names).values()) {
                for (FlowTransition t : history) {
                    if (FlowRunner.words(t).startsWith("waiting healthy")) {
                        String dueAt = FlowRunner.words(t).replaceAll(".* until ", "");
                        dues.add(Instant.parse(dueAt).toEpochMilli());
                    }
                }
            }
            armed = new Armed(
                    dues.size(),
                    dues.stream().mapToLong(Long::longValue).min().orElse(Long.MAX_VALUE),
                    dues.stream().mapToLong(Long::longValue).max().orElse(0));
            if (dues.size() >= 3 * keys) {
                return armed;
            }
            Thread.sleep(250);
        }
        return armed;
    }

    private static void awaitDone(FaultCluster cluster, TopicNames names, int keys, long until)
            throws InterruptedException {
        while (System.currentTimeMillis() < until) {
            long ended = histories(cluster, names).values().stream()
                    .filter(h -> h.stream().anyMatch(t -> FlowRunner.words(t).startsWith("ended")))
                    .count();
            long settled = correlationSteps(cluster, names).stream()
                    .filter(o -> o.getOutcome() == Outcome.FIRED || o.getOutcome() == Outcome.CANCELLED)
                    .map(o -> o.getRuleId() + "/" + o.getCorrelation().getKey())
                    .distinct()
                    .count();
            if (ended >= keys && settled >= 2L * keys) {
                return;
            }
            Thread.sleep(500);
        }
    }

    private static List<RuleOutcome> correlationSteps(FaultCluster cluster, TopicNames names) {
        List<RuleOutcome> steps = new ArrayList<>();
        for (ConsumerRecord<byte[], Decision> r : TopicReader.readCommitted(
                cluster.bootstrap(),
                names.decisions(),
                cluster.serdes().value(Decision.class).deserializer())) {
            if (r.value().getDetail() == DecisionDetail.CORRELATION) {
                steps.addAll(r.value().getRules());
            }
        }
        return steps;
    }

    private static Map<String, List<FlowTransition>> histories(FaultCluster cluster, TopicNames names) {
        Map<String, List<FlowTransition>> histories = new HashMap<>();
        for (ConsumerRecord<byte[], FlowTransition> r : TopicReader.readCommitted(
                cluster.bootstrap(),
                names.flows(),
                cluster.serdes().value(FlowTransition.class).deserializer())) {
            histories
                    .computeIfAbsent(r.value().getKey(), k -> new ArrayList<>())
                    .add(r.value());
        }
        return histories;
    }

    static Report check(
            FaultCluster cluster, TopicNames names, Fault fault, int keys, int answered, List<String> problems) {
        List<Long> late = new ArrayList<>();
        int early = 0;
        Map<String, List<FlowTransition>> histories = histories(cluster, names);
        Map<String, List<RuleOutcome>> fired = new HashMap<>();
        Map<String, List<RuleOutcome>> cancelled = new HashMap<>();
        for (RuleOutcome o : correlationSteps(cluster, names)) {
            String key = o.getCorrelation().getKey();
            if (o.getOutcome() == Outcome.FIRED) {
                fired.computeIfAbsent(key, k -> new ArrayList<>()).add(o);
                late.add(
                        o.getCorrelation().getLateMs() == null
                                ? 0
                                : o.getCorrelation().getLateMs());
            } else if (o.getOutcome() == Outcome.CANCELLED) {
                cancelled.computeIfAbsent(key, k -> new ArrayList<>()).add(o);
            }
        }
        for (int i = 0; i < keys; i++) {
            boolean answeredKey = i % 2 == 0;
            List<String> flow = histories.getOrDefault("f-" + i, List.of()).stream()
                    .map(FlowRunner::words)
                    .toList();
            List<String> timedOut =
                    flow.stream().filter(w -> w.startsWith("timed out healthy")).toList();
            timedOut.forEach(w -> {
                Matcher m = LATE.matcher(w);
                late.add(m.find() ? Long.parseLong(m.group(1)) : 0);
            });
            if (answeredKey) {
                if (!timedOut.isEmpty() || flow.stream().noneMatch(w -> w.startsWith("ended healthy"))) {
                    early++;
                    problems.add("f-" + i + " was answered in time but went "
                            + flow.stream().map(w -> w.replaceAll(":.*", "")).toList());
                }
            } else if (timedOut.size() != 1 || flow.stream().noneMatch(w -> w.startsWith("ended"))) {
                problems.add("f-" + i + " went "
                        + flow.stream().map(w -> w.replaceAll(":.*", "")).toList());
            }
            List<RuleOutcome> unlessFired = fired.getOrDefault("u-" + i, List.of());
            if (answeredKey
                    && (!unlessFired.isEmpty()
                            || cancelled.getOrDefault("u-" + i, List.of()).size() != 1)) {
                early += unlessFired.isEmpty() ? 0 : 1;
                problems.add(
                        "u-" + i + " was resolved in time but fired " + unlessFired.size() + " times and was cancelled "
                                + cancelled.getOrDefault("u-" + i, List.of()).size() + " times");
            } else if (!answeredKey && unlessFired.size() != 1) {
                problems.add("u-" + i + " fired " + unlessFired.size() + " times");
            }
            List<RuleOutcome> settled = fired.getOrDefault("d-" + i, List.of());
            String lastEvent = answeredKey ? "again-d-" + i : "arm-d-" + i;
            if (settled.size() != 1
                    || !lastEvent.equals(
                            settled.get(0).getCorrelation().getSeen().getArmedBy())) {
                early += answeredKey
                                && !settled.isEmpty()
                                && !lastEvent.equals(settled.get(0)
                                        .getCorrelation()
                                        .getSeen()
                                        .getArmedBy())
                        ? 1
                        : 0;
                problems.add("d-" + i + " fired " + settled.size() + " times"
                        + (settled.isEmpty()
                                ? ""
                                : ", first with "
                                        + settled.get(0)
                                                .getCorrelation()
                                                .getSeen()
                                                .getArmedBy() + " (expected " + lastEvent + ")"));
            }
        }
        long[] sorted = late.stream().mapToLong(Long::longValue).sorted().toArray();
        long p50 = sorted.length == 0 ? 0 : sorted[sorted.length / 2];
        long p99 =
                sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * 0.99) - 1)];
        long max = sorted.length == 0 ? 0 : sorted[sorted.length - 1];
        return new Report(fault, keys, answered, sorted.length, early, p50, p99, max, problems);
    }

    static Fault fault(String name) {
        return Arrays.stream(Fault.values())
                .filter(f -> f.name().toLowerCase(Locale.ROOT).equals(name))
                .findFirst()
                .orElseThrow();
    }
}
