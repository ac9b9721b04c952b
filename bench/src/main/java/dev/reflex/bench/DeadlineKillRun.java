package dev.reflex.bench;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

import dev.reflex.schemas.Action;
import dev.reflex.schemas.ContentTypes;
import dev.reflex.schemas.CorrelationRole;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.DecisionDetail;
import dev.reflex.schemas.Outcome;
import dev.reflex.schemas.RuleOutcome;
import dev.reflex.schemas.TopicNames;

/**
 * Correlation deadlines across kill -9: two engine instances arm one deadline per key (an {@code unless} that never
 * comes), both are killed with SIGKILL once every arming is committed, and started again after the deadlines are due.
 * The new owners must fire every overdue deadline exactly once: one FIRED decision per key recording how late, one
 * action per key (by deterministic id), nothing twice. Also prints how late the deadlines fired.
 */
final class DeadlineKillRun {
    static final String RULES = """
        id: armed
        when: {source: deadlines, type: arm}
        correlate:
          unless: {source: deadlines, type: disarm, within: WITHIN}
        then:
          - {system: ops, action: page, params: {key: "${correlation.key}"}}
        """;

    record Report(int keys, int fired, long lateP50, long lateP99, long lateMax, List<String> problems)
            implements FaultReport {
        @Override
        public String toString() {
            return String.format(
                    "deadlines across kill -9: %,d armed, both engines killed, restarted after they were due; %,d fired "
                            + "(late by p50 %,d ms, p99 %,d ms, max %,d ms, time down included): %s",
                    keys,
                    fired,
                    lateP50,
                    lateP99,
                    lateMax,
                    ok()
                            ? "each exactly once"
                            : problems.size() + " problems: " + problems.subList(0, Math.min(10, problems.size())));
        }
    }

    static Report run(FaultCluster cluster, int keys, Duration within) throws Exception {
        TopicNames names = cluster.topics("ops");
        String ingest = names.ingest("deadlines");
        cluster.createTopic(ingest);
        BenchCluster.publishRules(
                cluster.bootstrap(), cluster.registryUrl(), names, RULES.replace("WITHIN", within.toSeconds() + "s"));
        List<Child> engines = new ArrayList<>();
        for (String instance : List.of("a", "b")) {
            engines.add(new Child(
                            "engine-" + instance,
                            cluster.dir.resolve(names.prefix() + "engine-" + instance + ".log"),
                            cluster.engineArgs(names, instance))
                    .start());
        }
        cluster.awaitEngines(names.prefix() + "engine", engines.size(), Duration.ofMinutes(2));
        List<String> problems = new ArrayList<>();
        List<ProducerRecord<byte[], byte[]>> arms = new ArrayList<>();
        for (int i = 0; i < keys; i++) {
            arms.add(BenchCluster.ingestRecord(
                    ingest,
                    "d-" + i,
                    ContentTypes.JSON,
                    ("{\"id\":\"arm-" + i + "\",\"type\":\"arm\",\"subject\":\"d-" + i + "\"}")
                            .getBytes(StandardCharsets.UTF_8)));
        }
        CheckedProducer.sendAll(cluster.bootstrap(), arms);
        // every deadline armed and committed (its ARMED step is read with read_committed), none due yet
        List<RuleOutcome> armed = awaitSteps(
                cluster, names, keys, CorrelationRole.TRIGGER, Outcome.ARMED, System.currentTimeMillis() + 120_000);
        if (armed.size() < keys) {
            // the stall seen in CI: what the broker says while the engines still run
            System.err.println(
                    StallReport.of(cluster.admin(), names.prefix() + "engine", List.of(names.prefix() + "*")));
        }
        for (Child engine : engines) {
            engine.kill();
        }
        System.err.printf("  kill -9 both engines with %,d deadlines armed%n", armed.size());
        if (armed.size() < keys) {
            problems.add("only " + armed.size() + " of " + keys + " deadlines armed within 120 s");
            problems.addAll(Quarantines.of(cluster.bootstrap(), cluster.serdes(), names));
        }
        int firedEarly =
                steps(cluster, names, CorrelationRole.DEADLINE, Outcome.FIRED).size();
        if (firedEarly > 0) {
            problems.add(firedEarly
                    + " deadlines fired before the kill: make the run's 'within' longer than the time to arm them all");
        }
        long due = armed.stream()
                .mapToLong(o -> o.getCorrelation().getDueAt())
                .max()
                .orElse(System.currentTimeMillis());
        Thread.sleep(Math.max(0, due - System.currentTimeMillis()) + 1_000);
        for (Child engine : engines) {
            engine.start();
        }
        awaitSteps(cluster, names, keys, CorrelationRole.DEADLINE, Outcome.FIRED, System.currentTimeMillis() + 120_000);
        Thread.sleep(3_000); // anything fired twice would show by now
        for (Child engine : engines) {
            String exit = engine.exitedByItself();
            if (!exit.isEmpty()) {
                problems.add(exit);
            }
            engine.stop();
        }
        return check(cluster, names, keys, problems);
    }

    private static List<RuleOutcome> awaitSteps(
            FaultCluster cluster, TopicNames names, int keys, CorrelationRole role, Outcome outcome, long until)
            throws InterruptedException {
        List<RuleOutcome> found = List.of();
        while (System.currentTimeMillis() < until) {
            found = steps(cluster, names, role, outcome);
            if (found.size() >= keys) {
                return found;
            }
            Thread.sleep(250);
        }
        return found;
    }

    private static List<RuleOutcome> steps(
            FaultCluster cluster, TopicNames names, CorrelationRole role, Outcome outcome) {
        List<RuleOutcome> steps = new ArrayList<>();
        for (ConsumerRecord<byte[], Decision> r : TopicReader.readCommitted(
                cluster.bootstrap(),
                names.decisions(),
                cluster.serdes().value(Decision.class).deserializer())) {
            if (r.value().getDetail() == DecisionDetail.CORRELATION) {
                for (RuleOutcome o : r.value().getRules()) {
                    if (o.getOutcome() == outcome
                            && o.getCorrelation() != null
                            && o.getCorrelation().getRole() == role) {
                        steps.add(o);
                    }
                }
            }
        }
        return steps;
    }

    private static Report check(FaultCluster cluster, TopicNames names, int keys, List<String> problems) {
        Map<String, Integer> firedPerKey = new HashMap<>();
        List<RuleOutcome> fired = steps(cluster, names, CorrelationRole.DEADLINE, Outcome.FIRED);
        long[] late = new long[fired.size()];
        for (int i = 0; i < fired.size(); i++) {
            firedPerKey.merge(fired.get(i).getCorrelation().getKey(), 1, Integer::sum);
            late[i] = fired.get(i).getCorrelation().getLateMs();
        }
        Map<String, Integer> actionIds = new HashMap<>();
        Map<String, Integer> actionsPerKey = new HashMap<>();
        for (ConsumerRecord<byte[], Action> r : TopicReader.readCommitted(
                cluster.bootstrap(),
                names.actions("ops"),
                cluster.serdes().value(Action.class).deserializer())) {
            actionIds.merge(r.value().getId(), 1, Integer::sum);
            actionsPerKey.merge(r.value().getParams().get("key"), 1, Integer::sum);
        }
        for (int i = 0; i < keys; i++) {
            String key = "d-" + i;
            if (firedPerKey.getOrDefault(key, 0) != 1) {
                problems.add("deadline of " + key + " fired " + firedPerKey.getOrDefault(key, 0) + " times");
            }
            if (actionsPerKey.getOrDefault(key, 0) != 1) {
                problems.add(key + " has " + actionsPerKey.getOrDefault(key, 0) + " actions");
            }
        }
        actionIds.forEach((id, n) -> {
            if (n > 1) {
                problems.add("action " + id + " written " + n + " times");
            }
        });
        Arrays.sort(late);
        long p50 = late.length == 0 ? 0 : late[late.length / 2];
        long p99 = late.length == 0 ? 0 : late[Math.min(late.length - 1, (int) Math.ceil(late.length * 0.99) - 1)];
        long max = late.length == 0 ? 0 : late[late.length - 1];
        if (late.length > 0 && late[0] <= 0) {
            problems.add("a deadline fired after the restart records no lateness");
        }
        return new Report(keys, fired.size(), p50, p99, max, problems);
    }
}
