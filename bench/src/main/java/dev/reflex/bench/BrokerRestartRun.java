package dev.reflex.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.streams.KafkaStreams;

import dev.reflex.actors.ActorRunner;
import dev.reflex.actors.http.HttpActorConfig;
import dev.reflex.actors.http.HttpExecutor;
import dev.reflex.connectors.webhook.WebhookConfig;
import dev.reflex.connectors.webhook.WebhookConnector;
import dev.reflex.engine.Engine;
import dev.reflex.engine.EngineConfig;
import dev.reflex.schemas.ActionResult;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.KafkaConnection;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.serde.ReflexSerdes;

/**
 * The broker stops in the middle of a run and starts again on the same address: webhook connector, engine and an HTTP
 * actor keep running throughout. While the broker is down the connector must answer 503; afterwards every event it
 * accepted (202) must have its decision, and its action must be executed and reported, with no human involved.
 */
final class BrokerRestartRun {
    record Report(int posted, int accepted, int refused503, int other, Duration down, List<String> problems)
            implements FaultReport {
        @Override
        public String toString() {
            return String.format(
                    "broker restart: %,d events posted, %,d accepted (202), %,d answered 503 during the %d s outage, %d other answers: %s",
                    posted,
                    accepted,
                    refused503,
                    down.toSeconds(),
                    other,
                    ok()
                            ? "no loss, every accepted event decided, acted on and reported once"
                            : problems.size() + " problems: " + problems.subList(0, Math.min(10, problems.size())));
        }
    }

    static Report run(FaultCluster cluster, Duration load, Duration down) throws Exception {
        TopicNames names = cluster.topics("svc");
        cluster.createTopic(names.ingest("web"));
        BenchCluster.publishRules(cluster.bootstrap(), cluster.registryUrl(), names, """
            id: call-service
            when:
              source: web
              type: tick
            then:
              - system: svc
                action: call
                params: {url: /do}
            """);
        ReflexSerdes serdes = cluster.serdes();
        Map<String, Object> settings = cluster.engineSettings(names);
        List<String> problems = new ArrayList<>();
        Set<String> accepted = new HashSet<>();
        int[] answers = new int[3];
        try (StubService service = new StubService(0);
                Engine engine = Engine.start(new EngineConfig(settings));
                WebhookConnector connector = WebhookConnector.start(new WebhookConfig(Map.of(
                        WebhookConfig.BOOTSTRAP_SERVERS_CONFIG,
                        cluster.bootstrap(),
                        WebhookConfig.TOPIC_PREFIX_CONFIG,
                        names.prefix(),
                        WebhookConfig.HTTP_PORT_CONFIG,
                        0,
                        WebhookConfig.PRODUCE_TIMEOUT_MS_CONFIG,
                        2_000)));
                ActorRunner actor = new ActorRunner(
                                KafkaConnection.plaintext(cluster.bootstrap()),
                                names,
                                serdes,
                                "svc",
                                names.prefix() + "actor",
                                new HttpExecutor(new HttpActorConfig(
                                        Map.of(HttpActorConfig.BASE_URL_CONFIG, service.url()), Map.of())))
                        .start()) {
            engine.awaitRunning(Duration.ofMinutes(1));
            HttpClient http = HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(5))
                    .build();
            URI uri = URI.create("http://127.0.0.1:" + connector.port() + "/events/web");
            AtomicBoolean posting = new AtomicBoolean(true);
            Thread poster = new Thread(
                    () -> {
                        for (int i = 0; posting.get(); i++) {
                            String id = "br-" + i;
                            HttpRequest request = HttpRequest.newBuilder(uri)
                                    .timeout(Duration.ofSeconds(30))
                                    .header("Content-Type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"" + id
                                            + "\",\"type\":\"tick\",\"subject\":\"s-" + (i % 10) + "\"}"))
                                    .build();
                            try {
                                int status = http.send(request, HttpResponse.BodyHandlers.discarding())
                                        .statusCode();
                                synchronized (answers) {
                                    if (status == 202) {
                                        accepted.add(id);
                                        answers[0]++;
                                    } else if (status == 503) {
                                        answers[1]++;
                                    } else {
                                        answers[2]++;
                                    }
                                }
                                Thread.sleep(10);
                            } catch (Exception e) {
                                synchronized (answers) {
                                    answers[2]++;
                                }
                            }
                        }
                    },
                    "broker-run-poster");
            poster.start();
            Thread.sleep(load.toMillis() / 3);
            System.err.println("  broker stopped");
            cluster.stopKafka();
            Thread.sleep(down.toMillis());
            cluster.startKafka();
            System.err.println("  broker started again");
            Thread.sleep(load.toMillis() * 2 / 3);
            posting.set(false);
            poster.join();
            if (answers[1] == 0) {
                problems.add("the connector never answered 503 while the broker was down");
            }
            long deadline = System.nanoTime() + Duration.ofMinutes(4).toNanos();
            Map<String, Integer> decided = new HashMap<>();
            Map<String, Integer> reported = new HashMap<>();
            while (System.nanoTime() < deadline) {
                decided.clear();
                reported.clear();
                TopicReader.readCommitted(
                                cluster.bootstrap(),
                                names.decisions(),
                                serdes.value(Decision.class).deserializer())
                        .forEach(d -> decided.merge(d.value().getEventId().toString(), 1, Integer::sum));
                TopicReader.readCommitted(
                                cluster.bootstrap(),
                                names.actionResults(),
                                serdes.value(ActionResult.class).deserializer())
                        .forEach(r -> reported.merge(r.value().getActionId().toString(), 1, Integer::sum));
                if (decided.keySet().containsAll(accepted) && reported.size() >= accepted.size()) {
                    break;
                }
                Thread.sleep(1_000);
            }
            for (String id : accepted) {
                if (decided.getOrDefault(id, 0) != 1) {
                    problems.add("accepted event " + id + " has " + decided.getOrDefault(id, 0) + " decisions");
                }
            }
            if (reported.size() != accepted.size()) {
                problems.add(reported.size() + " action results for " + accepted.size() + " accepted events");
            }
            reported.forEach((id, n) -> {
                if (n != 1) {
                    problems.add("action " + id + " reported " + n + " times");
                }
            });
            long executed = service.calls.size();
            if (executed < accepted.size()) {
                problems.add(executed + " distinct actions executed for " + accepted.size() + " accepted events");
            }
            if (engine.state() != KafkaStreams.State.RUNNING) {
                problems.add("the engine is " + engine.state() + " after the restart");
            }
            return new Report(answers[0] + answers[1] + answers[2], answers[0], answers[1], answers[2], down, problems);
        }
    }
}
