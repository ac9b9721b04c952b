package dev.reflex.bench;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import dev.reflex.schemas.Action;
import dev.reflex.schemas.ActionResult;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.serde.ReflexSerdes;

/**
 * An HTTP actor in its own JVM works through a backlog of actions against a service on loopback and is killed with
 * SIGKILL several times, each time while it is working (mid-action, several actions in flight), and started again.
 * Every action must be executed at least once and reported exactly once on the action-results topic, and no target
 * may get two calls at once.
 */
final class ActorKillRun {
    record Report(int actions, int kills, int executions, int reExecuted, int mostAtOnce, List<String> problems)
            implements FaultReport {
        @Override
        public String toString() {
            return String.format(
                    "actors killed: %,d actions, %d kills, %,d executions (%d actions executed again after a kill), "
                            + "up to %d at once: %s",
                    actions,
                    kills,
                    executions,
                    reExecuted,
                    mostAtOnce,
                    ok()
                            ? "no loss, each reported once"
                            : problems.size() + " problems: " + problems.subList(0, Math.min(10, problems.size())));
        }
    }

    static Report run(FaultCluster cluster, int actions, int maxKills) throws Exception {
        TopicNames names = cluster.topics("svc");
        ReflexSerdes serdes = cluster.serdes();
        List<String> problems = new ArrayList<>();
        try (StubService service = new StubService(20)) {
            List<ProducerRecord<String, Action>> backlog = new ArrayList<>();
            for (int i = 0; i < actions; i++) {
                backlog.add(new ProducerRecord<>(
                        names.actions("svc"),
                        "t-" + (i % 16),
                        Action.newBuilder()
                                .setId("act-" + i)
                                .setSystem("svc")
                                .setAction("call")
                                .setTarget("t-" + (i % 16))
                                .setParams(Map.of("url", "/do"))
                                .setEventId("ev-" + i)
                                .setEventSource("faults")
                                .setEventType("tick")
                                .setRuleId("r")
                                .setRuleVersion("v1")
                                .setCreatedAt(Instant.now())
                                .build()));
            }
            try (CheckedProducer<String, Action> producer = new CheckedProducer<>(
                    cluster.bootstrap(),
                    Map.of(),
                    new StringSerializer(),
                    serdes.value(Action.class).serializer())) {
                backlog.forEach(producer::send);
            }
            // a killed member is noticed after the session timeout: the broker's minimum keeps the run short
            List<String> args = cluster.httpActorArgs(names, "svc", service.url(), "consumer.session.timeout.ms=6000");
            Child actor = new Child("actor", cluster.dir.resolve(names.prefix() + "actor.log"), args).start();
            int kills = 0;
            long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
            while (kills < maxKills && System.nanoTime() < deadline) {
                // kill only once the (re)started actor is working, so each kill lands in the middle of actions
                int before = totalCalls(service);
                while (totalCalls(service) < before + 25 && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                Thread.sleep(ThreadLocalRandom.current().nextInt(10, 40));
                System.err.printf("  kill -9 actor (%,d calls so far)%n", totalCalls(service));
                actor.kill();
                kills++;
                actor.start();
            }
            while (results(cluster, serdes, names).size() < actions && System.nanoTime() < deadline) {
                Thread.sleep(500);
            }
            String exit = actor.exitedByItself();
            if (!exit.isEmpty()) {
                problems.add(exit);
            }
            actor.stop();
            Map<String, Integer> reported = results(cluster, serdes, names);
            int reExecuted = 0;
            int executions = 0;
            for (int i = 0; i < actions; i++) {
                String id = "act-" + i;
                int calls = service.calls.getOrDefault(id, new AtomicInteger()).get();
                executions += calls;
                reExecuted += calls > 1 ? 1 : 0;
                if (calls == 0) {
                    problems.add("action " + id + " was never executed");
                }
                if (reported.getOrDefault(id, 0) != 1) {
                    problems.add("action " + id + " was reported " + reported.getOrDefault(id, 0) + " times");
                }
            }
            if (service.mostAtOnceForOneTarget() > 1) {
                problems.add("a target got " + service.mostAtOnceForOneTarget() + " calls at once");
            }
            if (service.mostAtOnce() < 2) {
                problems.add("the actor never ran two actions at once");
            }
            return new Report(actions, kills, executions, reExecuted, service.mostAtOnce(), problems);
        }
    }

    private static int totalCalls(StubService service) {
        return service.calls.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    private static Map<String, Integer> results(FaultCluster cluster, ReflexSerdes serdes, TopicNames names) {
        Map<String, Integer> reported = new HashMap<>();
        TopicReader.readCommitted(
                        cluster.bootstrap(),
                        names.actionResults(),
                        serdes.value(ActionResult.class).deserializer())
                .forEach(r -> reported.merge(r.value().getActionId().toString(), 1, Integer::sum));
        return reported;
    }
}
