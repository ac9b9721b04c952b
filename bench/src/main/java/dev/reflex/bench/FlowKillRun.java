package dev.reflex.bench;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;

import dev.reflex.rules.flow.FlowRunner;
import dev.reflex.schemas.ContentTypes;
import dev.reflex.schemas.FlowTransition;
import dev.reflex.schemas.TopicNames;

/**
 * Flows across kill -9 of the engine, with the real HTTP actor against a stand-in service: each instance waits, then
 * calls a slow endpoint (an action in flight), then a flaky one that fails once (a retry backoff pending), then ends.
 * The engine (its own JVM) is killed with SIGKILL while the instances wait, while the slow calls are in flight, and while
 * the retries' backoffs are pending, and started again each time. Afterwards every instance must have ended with the
 * very transitions a run without kills gives, and the service must have seen each action id (Idempotency-Key) once.
 */
final class FlowKillRun {
    static final String FLOW = """
        kind: flow
        id: killed
        start: {when: {source: faults, type: begin}}
        steps:
          - id: pause
            wait: {for: {source: faults, type: never}, timeout: 6s}
            next: {timeout: slow}
          - id: slow
            do: {system: stub, action: call, params: {url: "/slow/${context.key}"}}
            timeout: 2m
          - id: flaky
            do: {system: stub, action: call, params: {url: "/flaky/${context.key}"}}
            retry: {attempts: 3, backoff: 6s}
            timeout: 2m
          - id: done
            set: {context: {done: "yes"}}
        """;
    /** What every instance's history must be, in words without times and lateness. */
    static final List<String> EXPECTED = List.of(
            "started",
            "waiting pause",
            "timed out pause",
            "step started slow",
            "result slow",
            "step started flaky",
            "retry scheduled flaky",
            "step started flaky",
            "result flaky",
            "step started done",
            "ended");

    record Report(int instances, int kills, int ended, int calls, List<String> problems) implements FaultReport {
        @Override
        public String toString() {
            return String.format(
                    "flows across kill -9: %d instances, engine killed %d times (waiting, action in flight, backoff "
                            + "pending); %d ended, %d calls: %s",
                    instances,
                    kills,
                    ended,
                    calls,
                    ok()
                            ? "every instance as without kills, no action executed twice"
                            : problems.size() + " problems: " + problems.subList(0, Math.min(10, problems.size())));
        }
    }

    static Report run(FaultCluster cluster, int instances) throws Exception {
        TopicNames names = cluster.topics("stub");
        String ingest = names.ingest("faults");
        cluster.createTopic(ingest);
        BenchCluster.publishRules(cluster.bootstrap(), cluster.registryUrl(), names, FLOW);
        List<String> problems = new ArrayList<>();
        int kills = 0;
        // Every instance's slow call is emitted at once (their waits time out together) and must end within the step
        // timeout (2m). The HTTP actor runs 32 actions at once, one per target (each instance is its own target), so
        // 500 instances' calls of 1.5 s take about 25 s.
        int slowMs = 1_500;
        try (StubService service = new StubService((path, n) -> path.startsWith("/slow/")
                ? new int[] {200, slowMs}
                : path.startsWith("/flaky/") && n == 1 ? new int[] {500, 0} : new int[] {200, 0})) {
            List<String> actorArgs = cluster.httpActorArgs(names, "stub", service.url(), "http.max.attempts=1");
            Child actor = new Child("actor", cluster.dir.resolve(names.prefix() + "actor.log"), actorArgs).start();
            Child engine = new Child(
                            "engine",
                            cluster.dir.resolve(names.prefix() + "engine.log"),
                            cluster.engineArgs(names, "a"))
                    .start();
            produce(cluster.bootstrap(), ingest, instances);
            long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
            // 1: while every instance waits
            await(cluster, names, "waiting pause", instances, deadline);
            kills += kill(engine, "while instances wait");
            // 2: while slow calls are in flight (the service has some, not all)
            awaitCalls(service, "/slow/", 1, deadline);
            kills += kill(engine, "while actions are in flight");
            // 3: while retry backoffs are pending
            await(cluster, names, "retry scheduled flaky", 1, deadline);
            kills += kill(engine, "while retry backoffs are pending");
            int ended = await(cluster, names, "ended", instances, deadline);
            Thread.sleep(2_000);
            for (Child child : List.of(engine, actor)) {
                String exit = child.exitedByItself();
                if (!exit.isEmpty()) {
                    problems.add(exit);
                }
                child.stop();
            }
            check(cluster, names, instances, service, problems);
            return new Report(
                    instances,
                    kills,
                    ended,
                    service.calls.values().stream().mapToInt(a -> a.get()).sum(),
                    problems);
        }
    }

    private static int kill(Child engine, String when) throws Exception {
        System.err.printf("  kill -9 engine %s%n", when);
        engine.kill();
        engine.start();
        return 1;
    }

    private static void produce(String bootstrap, String topic, int instances) {
        try (CheckedProducer<byte[], byte[]> producer = CheckedProducer.bytes(bootstrap)) {
            for (int i = 0; i < instances; i++) {
                producer.send(BenchCluster.ingestRecord(
                        topic,
                        "k-" + i,
                        ContentTypes.JSON,
                        ("{\"id\":\"begin-" + i + "\",\"type\":\"begin\",\"subject\":\"k-" + i + "\"}")
                                .getBytes(StandardCharsets.UTF_8)));
            }
            producer.flush();
        }
    }

    private static Map<String, List<String>> histories(FaultCluster cluster, TopicNames names) {
        Map<String, List<String>> histories = new HashMap<>();
        for (ConsumerRecord<byte[], FlowTransition> r : TopicReader.readCommitted(
                cluster.bootstrap(),
                names.flows(),
                cluster.serdes().value(FlowTransition.class).deserializer())) {
            String words = FlowRunner.words(r.value());
            int colon = words.indexOf(':');
            histories
                    .computeIfAbsent(r.value().getKey(), k -> new ArrayList<>())
                    .add(colon < 0 ? words : words.substring(0, colon));
        }
        return histories;
    }

    private static int await(FaultCluster cluster, TopicNames names, String transition, int count, long deadline)
            throws InterruptedException {
        int found = 0;
        while (System.nanoTime() < deadline) {
            found = (int) histories(cluster, names).values().stream()
                    .filter(h -> h.contains(transition))
                    .count();
            if (found >= count) {
                return found;
            }
            Thread.sleep(200);
        }
        return found;
    }

    private static void awaitCalls(StubService service, String prefix, int count, long deadline)
            throws InterruptedException {
        while (System.nanoTime() < deadline
                && service.paths.keySet().stream()
                                .filter(p -> p.startsWith(prefix))
                                .count()
                        < count) {
            Thread.sleep(20);
        }
    }

    private static void check(
            FaultCluster cluster, TopicNames names, int instances, StubService service, List<String> problems) {
        Map<String, List<String>> histories = histories(cluster, names);
        for (int i = 0; i < instances; i++) {
            List<String> history = histories.getOrDefault("k-" + i, List.of());
            if (!history.equals(EXPECTED)) {
                problems.add("k-" + i + " went " + history);
            }
        }
        service.calls.forEach((key, n) -> {
            if (n.get() > 1) {
                problems.add("action " + key + " executed " + n.get() + " times");
            }
        });
        // each instance: one slow call, two flaky calls (the failure and the retry)
        if (service.calls.size() != 3 * instances) {
            problems.add(service.calls.size() + " distinct actions executed for " + instances + " instances (expected "
                    + 3 * instances + ")");
        }
    }
}
