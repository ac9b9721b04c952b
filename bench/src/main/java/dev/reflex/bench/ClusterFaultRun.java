package dev.reflex.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

import dev.reflex.actors.ActorRunner;
import dev.reflex.actors.http.HttpActorConfig;
import dev.reflex.actors.http.HttpExecutor;
import dev.reflex.connectors.webhook.WebhookConfig;
import dev.reflex.connectors.webhook.WebhookConnector;
import dev.reflex.schemas.KafkaConnection;
import dev.reflex.schemas.TopicNames;

/**
 * Faults a single broker cannot show, on a three-node KRaft cluster in containers ({@link ContainerCluster}) with two
 * engines in containers, the webhook connector and an HTTP actor in this process, under a steady load of events that
 * use rules, registers, an {@code unless} deadline and a flow ({@link ClusterLoad}). Each fault kind is injected alone,
 * then (when {@code mixedFor} is positive) kinds are drawn at random for that long. Afterwards {@link ClusterCheck}
 * reads the topics.
 */
final class ClusterFaultRun {
    static final String RULES = """
        id: act-on-even
        when: {source: load, type: tick, condition: event.data.n % 2 == 0}
        then:
          - {system: ops, action: note, params: {url: "/note/${event.data.n}"}}
        ---
        id: count
        when: {source: load, type: tick}
        then:
          - incr: count.${event.subject}
        ---
        id: still-firing
        when: {source: load, type: alert.firing}
        correlate:
          unless: {source: load, type: alert.resolved, within: WAIT}
        then:
          - {system: ops, action: page, params: {url: "/page/${correlation.key}"}}
        ---
        kind: flow
        id: guard
        start: {when: {source: load, type: deploy.started}}
        steps:
          - id: healthy
            wait: {for: {source: load, type: service.healthy}, timeout: WAIT}
            next: {event: end, timeout: rollback}
          - id: rollback
            set: {context: {rolledBack: "yes"}}
        """;
    static final Duration WAIT = Duration.ofSeconds(15);

    /** A fault, injected and undone; {@link #inject} returns when the cluster is whole again. */
    enum Fault {
        LEADER_KILL("SIGKILL of the broker leading most of the engine's partitions, back after 10 s"),
        ROLLING_RESTART(
                "a rolling restart of all three brokers, each stopped and started after the one before is in sync"),
        BROKER_CUT_OFF("one broker cut off from the others and every client for 15 s, then healed"),
        ENGINE_CUT_OFF(
                "one engine cut off from the cluster for 20 s (its session timeout is 10 s) while the other takes over"),
        CONTROLLER_KILL("SIGKILL of the node leading the controller quorum, back after 10 s");

        final String words;

        Fault(String words) {
            this.words = words;
        }

        String id() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /** When one fault was injected, and its kind. */
    record Injected(Fault fault, long at, long healedAt) {}

    /**
     * Starts the cluster, injects each of {@code faults} once and then faults at random for {@code mixedFor}, and checks.
     * {@code alsoClaimed} are events the checker is told were acknowledged although they were never sent: the suite's
     * proof that the checker notices a loss.
     */
    static ClusterReport run(List<Fault> faults, Duration mixedFor, long seed, List<ClusterLoad.Posted> alsoClaimed)
            throws Exception {
        try (ContainerCluster cluster = ContainerCluster.start()) {
            System.err.println("  cluster up; containers' logs in " + cluster.dir);
            return run(cluster, faults, mixedFor, seed, alsoClaimed);
        }
    }

    private static ClusterReport run(
            ContainerCluster cluster,
            List<Fault> faults,
            Duration mixedFor,
            long seed,
            List<ClusterLoad.Posted> alsoClaimed)
            throws Exception {
        TopicNames names = cluster.topics("ops");
        String ingest = names.ingest("load");
        cluster.createTopic(ingest);
        BenchCluster.publishRules(
                cluster.bootstrap(), cluster.registryUrl(), names, RULES.replace("WAIT", WAIT.toMillis() + "ms"));
        for (String instance : List.of("engine-a", "engine-b")) {
            cluster.startEngine(names, instance, List.of("reflex.decisions.unmatched=none"));
        }
        List<String> problems = new ArrayList<>();
        if (!awaitHealthy(cluster, Duration.ofMinutes(2))) {
            problems.add("the engines were not RUNNING within 2 minutes of their start");
        }
        List<Injected> injected = new ArrayList<>();
        try (StubService service = new StubService(0);
                WebhookConnector connector = WebhookConnector.start(new WebhookConfig(Map.of(
                        WebhookConfig.BOOTSTRAP_SERVERS_CONFIG,
                        cluster.bootstrap(),
                        WebhookConfig.TOPIC_PREFIX_CONFIG,
                        names.prefix(),
                        WebhookConfig.HTTP_PORT_CONFIG,
                        0,
                        WebhookConfig.PRODUCE_TIMEOUT_MS_CONFIG,
                        10_000)));
                ActorRunner actor = new ActorRunner(
                                KafkaConnection.plaintext(cluster.bootstrap()),
                                names,
                                cluster.serdes(),
                                "ops",
                                names.prefix() + "actor",
                                new HttpExecutor(new HttpActorConfig(
                                        Map.of(HttpActorConfig.BASE_URL_CONFIG, service.url()), Map.of())))
                        .start()) {
            List<String> topics = List.of(ingest, names.events(), names.correlate(), names.decisions());
            try (ClusterLoad load = new ClusterLoad("http://127.0.0.1:" + connector.port(), Duration.ofMillis(50))) {
                Thread.sleep(5_000);
                for (Fault fault : faults) {
                    injected.add(inject(cluster, fault, topics, problems));
                    Thread.sleep(5_000);
                }
                Random random = new Random(seed);
                long until = System.nanoTime() + mixedFor.toNanos();
                while (System.nanoTime() < until) {
                    injected.add(
                            inject(cluster, Fault.values()[random.nextInt(Fault.values().length)], topics, problems));
                    Thread.sleep(2_000 + random.nextInt(8_000));
                }
                // every deadline armed by the last events is due and fired before the load stops being checked
                Thread.sleep(WAIT.toMillis() + 5_000);
                load.close();
                System.err.printf("  %,d events posted; waiting for the engines to finish%n", load.count());
                new ClusterCheck(cluster, names, service, load.posted()).awaitSettled(Duration.ofSeconds(90));
                List<ClusterLoad.Posted> posted = new ArrayList<>(load.posted());
                posted.addAll(alsoClaimed);
                ClusterCheck check = new ClusterCheck(cluster, names, service, posted);
                if (!awaitHealthy(cluster, Duration.ofMinutes(2))) {
                    problems.add(
                            "an engine was not RUNNING again within 2 minutes after the last fault, without anyone restarting it");
                }
                ClusterReport report = check.check(injected, problems);
                if (report.problems().size() > alsoClaimed.size()) {
                    // what the brokers say of the run's partitions, while the cluster is as the run left it
                    try {
                        System.err.println(StallReport.of(
                                cluster.admin(), names.prefix() + "engine", List.of(names.prefix() + "*")));
                    } catch (Exception e) {
                        System.err.println("no stall report: " + e);
                    }
                }
                return report;
            }
        }
    }

    private static Injected inject(ContainerCluster cluster, Fault fault, List<String> topics, List<String> problems)
            throws Exception {
        long at = System.currentTimeMillis();
        System.err.printf("  %s: %s%n", fault.id(), fault.words);
        switch (fault) {
            case LEADER_KILL -> {
                int broker = ClusterState.leaderOfMost(cluster.admin(), topics);
                cluster.killBroker(broker);
                Thread.sleep(10_000);
                cluster.startBroker(broker);
            }
            case ROLLING_RESTART -> {
                for (int n = 1; n <= ContainerCluster.BROKERS; n++) {
                    cluster.stopBroker(n);
                    cluster.startBroker(n);
                    if (!ClusterState.awaitInSync(
                            cluster.admin(), topics, ContainerCluster.BROKERS, Duration.ofMinutes(2))) {
                        problems.add("rolling restart: broker " + n + " not back in sync within 2 minutes");
                    }
                }
            }
            case BROKER_CUT_OFF -> {
                String broker = "kafka-" + (1 + (int) (at % ContainerCluster.BROKERS));
                cluster.disconnect(broker);
                Thread.sleep(15_000);
                cluster.reconnect(broker);
            }
            case ENGINE_CUT_OFF -> {
                String engine = at % 2 == 0 ? "engine-a" : "engine-b";
                cluster.disconnect(engine);
                Thread.sleep(20_000);
                cluster.reconnect(engine);
            }
            case CONTROLLER_KILL -> {
                int controller = ClusterState.activeController(cluster.admin());
                cluster.killBroker(controller);
                Thread.sleep(10_000);
                cluster.startBroker(controller);
            }
        }
        long healed = System.currentTimeMillis();
        if (!ClusterState.awaitInSync(cluster.admin(), topics, ContainerCluster.BROKERS, Duration.ofMinutes(2))) {
            problems.add(fault.id() + ": the cluster was not whole again within 2 minutes");
        }
        if (fault == Fault.ENGINE_CUT_OFF && !awaitHealthy(cluster, Duration.ofMinutes(2))) {
            problems.add(fault.id() + ": the engine cut off was not RUNNING within 2 minutes of the network's return");
        }
        return new Injected(fault, at, healed);
    }

    private static boolean awaitHealthy(ContainerCluster cluster, Duration timeout) throws InterruptedException {
        long until = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < until) {
            if (cluster.engines().stream().allMatch(cluster::engineHealthy)) {
                return true;
            }
            Thread.sleep(500);
        }
        return false;
    }

    static Map<Fault, List<Injected>> byFault(List<Injected> injected) {
        Map<Fault, List<Injected>> map = new EnumMap<>(Fault.class);
        injected.forEach(
                i -> map.computeIfAbsent(i.fault(), k -> new ArrayList<>()).add(i));
        return map;
    }
}
