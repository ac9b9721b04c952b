package dev.reflex.actors;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import dev.reflex.actors.http.HttpActorConfig;
import dev.reflex.actors.http.HttpExecutor;
import dev.reflex.admin.AdminServer;
import dev.reflex.embedded.testing.TestServices;
import dev.reflex.embedded.testing.TopicRecords;
import dev.reflex.schemas.Action;
import dev.reflex.schemas.ActionResult;
import dev.reflex.schemas.ActionStatus;
import dev.reflex.schemas.KafkaConnection;
import dev.reflex.schemas.Rate;
import dev.reflex.schemas.SystemDef;
import dev.reflex.schemas.SystemLimits;
import dev.reflex.schemas.TopicAdmin;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.TopicSpec;
import dev.reflex.schemas.registry.SchemaRegistryClient;
import dev.reflex.schemas.serde.ReflexSerdes;

@Tag("integration")
class ActorRunnerTest {

    @Test
    void eachActionIsDoneAndReportedOnceAndARedeliveredOneIsSkipped() throws Exception {
        TopicNames names = topics("ar", 1);
        try (RecordingServer server = new RecordingServer()) {
            server.answer("/fails", 400);
            send(bootstrap, names, serdes, action("a-1", server.url("/restart")), action("a-2", server.url("/fails")));
            HttpExecutor http = new HttpExecutor(new HttpActorConfig(Map.of(), Map.of()));

            PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            try (ActorRunner runner = new ActorRunner(
                                    KafkaConnection.plaintext(bootstrap),
                                    names,
                                    serdes,
                                    "ops",
                                    "actor-test",
                                    http,
                                    metrics)
                            .start();
                    AdminServer adminServer =
                            AdminServer.start("127.0.0.1", 0, "--admin-port", metrics, runner::isRunning)) {
                assertThat(runner.awaitReady(Duration.ofSeconds(60))).isTrue();
                List<ActionResult> results = results(bootstrap, names, serdes, 2);
                HttpClient client = HttpClient.newHttpClient();
                var health = client.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminServer.port() + "/health"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(health.statusCode()).isEqualTo(200);
                var scraped = client.send(
                                HttpRequest.newBuilder(
                                                URI.create("http://127.0.0.1:" + adminServer.port() + "/metrics"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString())
                        .body();
                assertThat(scraped)
                        .contains("reflex_actor_actions_total{status=\"SUCCEEDED\",system=\"ops\"} 1.0")
                        .contains("reflex_actor_actions_total{status=\"FAILED\",system=\"ops\"} 1.0");
                assertThat(results)
                        .extracting(ActionResult::getActionId, ActionResult::getStatus)
                        .containsExactly(
                                Tuple.tuple("a-1", ActionStatus.SUCCEEDED), Tuple.tuple("a-2", ActionStatus.FAILED));
                assertThat(results.get(1).getHttpStatus()).isEqualTo(400);
                assertThat(results.get(0).getTarget()).isEqualTo("api-7");
            }
            // the same action delivered again (a replay, a duplicate) and a new one, to a new actor process
            send(
                    bootstrap,
                    names,
                    serdes,
                    action("a-1", server.url("/restart")),
                    action("a-3", server.url("/restart")));
            try (ActorRunner runner = new ActorRunner(
                            KafkaConnection.plaintext(bootstrap), names, serdes, "ops", "actor-test", http)
                    .start()) {
                assertThat(runner.awaitReady(Duration.ofSeconds(60))).isTrue();
                List<ActionResult> results = results(bootstrap, names, serdes, 3);
                assertThat(results).extracting(ActionResult::getActionId).containsExactly("a-1", "a-2", "a-3");
            }
            assertThat(server.to("/restart"))
                    .extracting(r -> r.header("Idempotency-Key"))
                    .containsExactly("a-1", "a-3");
        }
    }

    @Test
    void closingLetsTheActionInProgressFinishAndReportsIt() throws Exception {
        TopicNames names = topics("ag", 1);
        CountDownLatch started = new CountDownLatch(1);
        Executor slow = action -> {
            started.countDown();
            try {
                Thread.sleep(1_500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return Execution.succeeded(1, null, null, "done");
        };
        send(bootstrap, names, serdes, action("slow-1", "http://unused/"));
        ActorRunner runner = new ActorRunner(
                        KafkaConnection.plaintext(bootstrap), names, serdes, "ops", "graceful-test", slow)
                .start();
        assertThat(started.await(60, TimeUnit.SECONDS)).isTrue();
        runner.close();
        assertThat(results(bootstrap, names, serdes, 1))
                .extracting(ActionResult::getActionId, ActionResult::getStatus)
                .containsExactly(Tuple.tuple("slow-1", ActionStatus.SUCCEEDED));
    }

    @Test
    void actionsRunConcurrentlyButOneTargetsOneAtATimeInOrderAndEachIsReportedOnce() throws Exception {
        TopicNames names = topics("ac", 2);
        List<Action> actions = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            for (String target : List.of("db-1", "db-2", "web-1", "web-2", "web-3")) {
                actions.add(action(target + "-" + i, "http://unused/", target));
            }
        }
        send(bootstrap, names, serdes, actions.toArray(Action[]::new));
        Map<String, List<String>> ranPerTarget = new ConcurrentHashMap<>();
        Map<String, AtomicInteger> inFlightPerTarget = new ConcurrentHashMap<>();
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger mostAtOnce = new AtomicInteger();
        AtomicInteger mostOfOneTarget = new AtomicInteger();
        Executor recording = action -> {
            int now = inFlight.incrementAndGet();
            mostAtOnce.accumulateAndGet(now, Math::max);
            int ofTarget = inFlightPerTarget
                    .computeIfAbsent(action.getTarget(), t -> new AtomicInteger())
                    .incrementAndGet();
            mostOfOneTarget.accumulateAndGet(ofTarget, Math::max);
            ranPerTarget
                    .computeIfAbsent(action.getTarget(), t -> Collections.synchronizedList(new ArrayList<>()))
                    .add(action.getId());
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            inFlightPerTarget.get(action.getTarget()).decrementAndGet();
            inFlight.decrementAndGet();
            return Execution.succeeded(1, null, null, "done");
        };
        try (ActorRunner runner = runner(
                names,
                "concurrent-test",
                recording,
                ActorOptions.defaults(recording).withConcurrency(3))) {
            assertThat(runner.awaitReady(Duration.ofSeconds(60))).isTrue();
            assertThat(results(bootstrap, names, serdes, actions.size()))
                    .extracting(ActionResult::getActionId)
                    .containsExactlyInAnyOrderElementsOf(
                            actions.stream().map(Action::getId).toList());
        }
        assertThat(mostAtOnce.get()).as("actions at once").isEqualTo(3);
        assertThat(mostOfOneTarget.get()).as("actions of one target at once").isEqualTo(1);
        for (String target : List.of("db-1", "db-2", "web-1", "web-2", "web-3")) {
            assertThat(ranPerTarget.get(target))
                    .as("the order of " + target + "'s actions")
                    .containsExactly(actions.stream()
                            .filter(a -> a.getTarget().equals(target))
                            .map(Action::getId)
                            .toArray(String[]::new));
        }
    }

    @Test
    void aTargetThatKeepsFailingIsHeldByItsCircuitAcrossARestartWhileOthersGoOn() throws Exception {
        TopicNames names = topics("ab", 1);
        Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
        Executor dbIsDown = action -> {
            runs.computeIfAbsent(action.getTarget(), t -> new AtomicInteger()).incrementAndGet();
            return action.getTarget().equals("db-1")
                    ? Execution.failed(1, 503, null, null, "HTTP 503")
                    : Execution.succeeded(1, 200, null, "ok");
        };
        // two failures open db-1's circuit for a minute; held actions fail at once (a bound of 1 ms)
        ActorOptions options = new ActorOptions(4, 2, Duration.ofMinutes(1), Duration.ofMillis(1));
        List<Action> first = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            first.add(action("db-" + i, "http://unused/", "db-1"));
        }
        first.add(action("web-1", "http://unused/", "web-1"));
        send(bootstrap, names, serdes, first.toArray(Action[]::new));
        try (ActorRunner runner = runner(names, "breaker-test", dbIsDown, options)) {
            List<ActionResult> results = results(bootstrap, names, serdes, 6);
            assertThat(results)
                    .extracting(ActionResult::getActionId, ActionResult::getStatus, ActionResult::getAttempts)
                    .containsExactlyInAnyOrder(
                            Tuple.tuple("db-1", ActionStatus.FAILED, 1),
                            Tuple.tuple("db-2", ActionStatus.FAILED, 1),
                            Tuple.tuple("db-3", ActionStatus.FAILED, 0),
                            Tuple.tuple("db-4", ActionStatus.FAILED, 0),
                            Tuple.tuple("db-5", ActionStatus.FAILED, 0),
                            Tuple.tuple("web-1", ActionStatus.SUCCEEDED, 1));
            assertThat(results)
                    .filteredOn(r -> r.getActionId().equals("db-2"))
                    .singleElement()
                    .satisfies(r -> assertThat(r.getError())
                            .contains("circuit open for target db-1 after 2 consecutive failures"));
            assertThat(results)
                    .filteredOn(r -> r.getActionId().equals("db-3"))
                    .singleElement()
                    .satisfies(r -> assertThat(r.getError()).endsWith("not run"));
        }
        // a new process learns the open circuit from the results: db-1 is still held, web-2 runs
        send(
                bootstrap,
                names,
                serdes,
                action("db-6", "http://unused/", "db-1"),
                action("web-2", "http://unused/", "web-1"));
        try (ActorRunner runner = runner(names, "breaker-test", dbIsDown, options)) {
            assertThat(results(bootstrap, names, serdes, 8))
                    .filteredOn(r ->
                            r.getActionId().equals("db-6") || r.getActionId().equals("web-2"))
                    .extracting(ActionResult::getActionId, ActionResult::getStatus, ActionResult::getAttempts)
                    .containsExactlyInAnyOrder(
                            Tuple.tuple("db-6", ActionStatus.FAILED, 0),
                            Tuple.tuple("web-2", ActionStatus.SUCCEEDED, 1));
        }
        assertThat(runs.get("db-1").get()).as("db-1 actions run").isEqualTo(2);
        assertThat(runs.get("web-1").get()).isEqualTo(2);
    }

    @Test
    void aSecondActorTakingOverPartitionsWhileActionsRunNeverRunsATargetTwiceAtOnceAndReportsEachOnce()
            throws Exception {
        TopicNames names = topics("as", 4);
        List<Action> actions = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            for (int t = 0; t < 12; t++) {
                actions.add(action("t" + t + "-" + i, "http://unused/", "t" + t));
            }
        }
        send(bootstrap, names, serdes, actions.toArray(Action[]::new));
        Map<String, AtomicInteger> inFlightPerTarget = new ConcurrentHashMap<>();
        AtomicInteger mostOfOneTarget = new AtomicInteger();
        Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
        CountDownLatch someRan = new CountDownLatch(20);
        Executor slow = action -> {
            AtomicInteger ofTarget = inFlightPerTarget.computeIfAbsent(action.getTarget(), t -> new AtomicInteger());
            mostOfOneTarget.accumulateAndGet(ofTarget.incrementAndGet(), Math::max);
            runs.computeIfAbsent(action.getId(), id -> new AtomicInteger()).incrementAndGet();
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ofTarget.decrementAndGet();
            someRan.countDown();
            return Execution.succeeded(1, null, null, "done");
        };
        ActorOptions options = ActorOptions.defaults(slow).withConcurrency(8);
        AtomicInteger bySecond = new AtomicInteger();
        Executor second = action -> {
            bySecond.incrementAndGet();
            return slow.execute(action);
        };
        try (ActorRunner first = runner(names, "share-test", slow, options)) {
            assertThat(someRan.await(60, TimeUnit.SECONDS)).isTrue();
            try (ActorRunner other = runner(names, "share-test", second, options)) {
                assertThat(results(bootstrap, names, serdes, actions.size()))
                        .extracting(ActionResult::getActionId)
                        .containsExactlyInAnyOrderElementsOf(
                                actions.stream().map(Action::getId).toList());
            }
        }
        assertThat(mostOfOneTarget.get())
                .as("calls of one target at once, across both actors")
                .isEqualTo(1);
        assertThat(runs.keySet()).hasSize(actions.size());
        assertThat(runs.values())
                .as("a rebalance is no kill: nothing runs twice")
                .allMatch(n -> n.get() == 1);
    }

    @Test
    void theCatalogsRatePerTargetHoldsAcrossARestartAndOtherTargetsGoOn() throws Exception {
        TopicNames names = topics("rl", 1);
        catalog(
                names,
                SystemLimits.newBuilder().setTargetRate(new Rate(2, 8_000L)).build());
        Map<String, List<Long>> starts = new ConcurrentHashMap<>();
        Executor recording = action -> {
            starts.computeIfAbsent(action.getTarget(), t -> Collections.synchronizedList(new ArrayList<>()))
                    .add(System.currentTimeMillis());
            return Execution.succeeded(1, null, null, "done");
        };
        List<Action> first = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            first.add(action("db-" + i, "http://unused/", "db-1"));
        }
        first.add(action("web-0", "http://unused/", "web-1"));
        first.add(action("web-1", "http://unused/", "web-1"));
        send(bootstrap, names, serdes, first.toArray(Action[]::new));
        try (ActorRunner runner = new ActorRunner(
                        KafkaConnection.plaintext(bootstrap), names, serdes, "ops", "rate-test", recording)
                .start()) {
            results(bootstrap, names, serdes, 6);
        }
        // a new process: the starts before it count
        send(
                bootstrap,
                names,
                serdes,
                action("db-5", "http://unused/", "db-1"),
                action("db-6", "http://unused/", "db-1"));
        try (ActorRunner runner = new ActorRunner(
                        KafkaConnection.plaintext(bootstrap), names, serdes, "ops", "rate-test", recording)
                .start()) {
            assertThat(results(bootstrap, names, serdes, 8))
                    .extracting(ActionResult::getStatus)
                    .containsOnly(ActionStatus.SUCCEEDED);
        }
        List<Long> db = new ArrayList<>(starts.get("db-1"));
        Collections.sort(db);
        assertThat(db).hasSize(6);
        // no 3 starts within one window (less 100 ms for the time between the decision and the executor's clock);
        // the second process starts within the window of the first one's last two: ignoring them would break this
        for (int i = 2; i < db.size(); i++) {
            assertThat(db.get(i) - db.get(i - 2))
                    .as("starts " + (i - 2) + " to " + i + " of db-1")
                    .isGreaterThanOrEqualTo(7_900L);
        }
        assertThat(starts.get("web-1")).hasSize(2);
        assertThat(starts.get("web-1").get(1) - starts.get("web-1").get(0))
                .as("web-1 is not held by db-1's rate")
                .isLessThan(5_000L);
        // what the held actions waited for, told once each for the timeline (db-2 and db-3 waited about 8 s)
        List<String> told = TopicRecords.readUntil(
                        bootstrap,
                        names.actorEvents(),
                        new StringDeserializer(),
                        new StringDeserializer(),
                        r -> false,
                        Duration.ofSeconds(2))
                .stream()
                .map(ConsumerRecord::value)
                .toList();
        assertThat(told)
                .filteredOn(v -> v.contains("\"id\":\"waiting-db-2\""))
                .singleElement()
                .asString()
                .contains("\"type\":\"action.waiting\"", "\"subject\":\"db-1\"", "\"eventId\":\"e-db-2\"")
                .contains("\"waiting\":\"rate 2/8s of target db-1\"");
        assertThat(told).noneMatch(v -> v.contains("web-")).as("web-1 waited for nothing");
    }

    @Test
    void systemWideLimitsHoldAcrossActorsAndARebalanceAndAChangeAppliesWithoutARestart() throws Exception {
        TopicNames names = topics("sw", 4);
        catalog(
                names,
                SystemLimits.newBuilder()
                        .setSystemConcurrency(2)
                        .setSystemRate(new Rate(6, 2_000L))
                        .build());
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        List<Long> starts = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch someRan = new CountDownLatch(6);
        Executor slow = action -> {
            starts.add(System.currentTimeMillis());
            most.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            try {
                Thread.sleep(150);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            inFlight.decrementAndGet();
            someRan.countDown();
            return Execution.succeeded(1, null, null, "done");
        };
        List<Action> actions = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            for (int t = 0; t < 8; t++) {
                actions.add(action("t" + t + "-" + i, "http://unused/", "t" + t));
            }
        }
        send(bootstrap, names, serdes, actions.toArray(Action[]::new));
        ActorOptions options = ActorOptions.defaults(slow).withConcurrency(8);
        try (ActorRunner first = runner(names, "system-limits", slow, options)) {
            assertThat(someRan.await(60, TimeUnit.SECONDS)).isTrue();
            // a second actor joins: the shares are split between the two, and the starts before count
            try (ActorRunner second = runner(names, "system-limits", slow, options)) {
                assertThat(results(bootstrap, names, serdes, actions.size()))
                        .extracting(ActionResult::getActionId)
                        .containsExactlyInAnyOrderElementsOf(
                                actions.stream().map(Action::getId).toList());
                assertThat(most.get())
                        .as("actions running at once, both actors")
                        .isEqualTo(2);
                List<Long> sorted = new ArrayList<>(starts);
                Collections.sort(sorted);
                for (int i = 6; i < sorted.size(); i++) {
                    assertThat(sorted.get(i) - sorted.get(i - 6))
                            .as("starts " + (i - 6) + " to " + i + " (at most 6 in 2 s, less 100 ms of clock)")
                            .isGreaterThanOrEqualTo(1_900L);
                }

                // the catalog now allows one at a time and no rate: both actors take it in without a restart
                catalog(names, SystemLimits.newBuilder().setSystemConcurrency(1).build());
                long until = System.currentTimeMillis() + 60_000;
                while (!(first.share().limits().equals("concurrency 1")
                                && second.share().limits().equals("concurrency 1"))
                        && System.currentTimeMillis() < until) {
                    Thread.sleep(100);
                }
                assertThat(List.of(first.share(), second.share()))
                        .extracting(SystemShares.Share::concurrency)
                        .containsExactlyInAnyOrder(1, 0);
                most.set(0);
                List<Action> more = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    more.add(action("more-" + t, "http://unused/", "t" + t));
                }
                send(bootstrap, names, serdes, more.toArray(Action[]::new));
                assertThat(results(bootstrap, names, serdes, actions.size() + more.size()))
                        .hasSize(actions.size() + more.size());
                assertThat(most.get()).as("one at a time now").isEqualTo(1);
            }
        }
    }

    /** Writes {@code limits} as system {@code ops}'s catalog entry. */
    private void catalog(TopicNames names, SystemLimits limits) throws Exception {
        try (KafkaProducer<String, SystemDef> catalog = new KafkaProducer<>(
                Map.of("bootstrap.servers", bootstrap),
                new StringSerializer(),
                serdes.value(SystemDef.class).serializer())) {
            catalog.send(new ProducerRecord<>(
                            names.systems(),
                            "ops",
                            SystemDef.newBuilder()
                                    .setName("ops")
                                    .setVersion("v")
                                    .setLimits(limits)
                                    .build()))
                    .get();
        }
    }

    private final String bootstrap = TestServices.kafka().bootstrapServers();

    /** A started actor of system {@code ops} under {@code names}. */
    private ActorRunner runner(TopicNames names, String group, Executor executor, ActorOptions options) {
        return new ActorRunner(
                        KafkaConnection.plaintext(bootstrap),
                        names,
                        serdes,
                        "ops",
                        group,
                        executor,
                        new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
                        Map.of(),
                        options)
                .start();
    }

    private final ReflexSerdes serdes =
            new ReflexSerdes(new SchemaRegistryClient(TestServices.registry().url()), true);

    /** Topic names under a new prefix, with Reflex's topics and {@code actions.ops} of {@code partitions} created. */
    private TopicNames topics(String prefix, int partitions) throws Exception {
        TopicNames names = new TopicNames(prefix + UUID.randomUUID().toString().substring(0, 8) + ".");
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            List<TopicSpec> specs = new ArrayList<>(names.fixed());
            specs.add(new TopicSpec(names.actions("ops"), false));
            new TopicAdmin(admin, Optional.of(partitions), Optional.empty(), 10_000).ensure(specs);
        }
        return names;
    }

    private static Action action(String id, String url) {
        return action(id, url, "api-7");
    }

    private static Action action(String id, String url, String target) {
        return Action.newBuilder()
                .setId(id)
                .setSystem("ops")
                .setAction("restart")
                .setTarget(target)
                .setParams(Map.of("url", url))
                .setEventId("e-" + id)
                .setEventSource("k8s")
                .setEventType("pod.oom")
                .setRuleId("r")
                .setRuleVersion("v")
                .setCreatedAt(Instant.EPOCH)
                .build();
    }

    private static void send(String bootstrap, TopicNames names, ReflexSerdes serdes, Action... actions)
            throws Exception {
        try (KafkaProducer<String, Action> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", bootstrap),
                new StringSerializer(),
                serdes.value(Action.class).serializer())) {
            for (Action a : actions) {
                producer.send(new ProducerRecord<>(names.actions("ops"), a.getTarget(), a))
                        .get();
            }
        }
    }

    /** Reads results until there are {@code expected}, then a little longer to catch any extra one. */
    private static List<ActionResult> results(String bootstrap, TopicNames names, ReflexSerdes serdes, int expected) {
        TopicRecords.readUntil(
                bootstrap,
                names.actionResults(),
                new StringDeserializer(),
                serdes.value(ActionResult.class).deserializer(),
                TopicRecords.atLeast(expected),
                Duration.ofSeconds(60));
        // read everything again for a second, to catch any result beyond those expected
        return TopicRecords.readUntil(
                        bootstrap,
                        names.actionResults(),
                        new StringDeserializer(),
                        serdes.value(ActionResult.class).deserializer(),
                        r -> false,
                        Duration.ofSeconds(1))
                .stream()
                .map(ConsumerRecord::value)
                .toList();
    }
}
