package dev.reflex.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import dev.reflex.connectors.webhook.WebhookConfig;
import dev.reflex.connectors.webhook.WebhookConnector;
import dev.reflex.schemas.Rate;
import dev.reflex.schemas.SystemDef;
import dev.reflex.schemas.SystemLimits;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.serde.ReflexSerdes;

/**
 * An alert storm along the whole path, every part real: Alertmanager notifications posted to the webhook connector
 * over HTTP, an engine with its timeline and an HTTP actor in their own JVMs, and a stand-in service on loopback that
 * answers in 100 ms (one target in 2 s, 1% of the calls with a 500). The system declares limits in the catalog: 3
 * actions per target in any 10 s and 24 at once across the system (the actor alone would run 32). Prints when the last
 * decision, the last execution, the last result's decision and the last timeline entry came, the lower bound of the
 * run, its ratio, the timeline's lag over time, and the checks: no action executed twice (the service counts
 * Idempotency-Keys), every limit held (the service records the calls at once and per target), nothing lost.
 *
 * <p>Usage: {@code bench/run-storm [--quick]}; the last line, for scripts: {@code storm: bound B s, last result T s,
 * ratio R x, executed twice N, limits held yes|no, lost N}.
 */
public final class StormRun {
    static final int SYSTEM_CONCURRENCY = 24;
    static final int TARGET_RATE = 3;
    static final long TARGET_WINDOW_MS = 10_000;
    static final int LATENCY_MS = 100;
    static final int SLOW_MS = 2_000;

    private StormRun() {}

    /** The storm's size: alerts, over how long they are posted, alerts per notification. */
    record Shape(int alerts, Duration spread, int groupSize) {
        static final Shape FULL = new Shape(20_000, Duration.ofSeconds(10), 50);
        static final Shape QUICK = new Shape(2_000, Duration.ofSeconds(3), 50);
    }

    record Report(
            int alerts,
            int actions,
            double ingestS,
            double lastDecisionS,
            double lastExecutedS,
            double lastResultS,
            double lastTimelineS,
            Bound bound,
            long executedTwice,
            boolean limitsHeld,
            long lost,
            List<String> timelineLag,
            String busiestCalls,
            double firstCallS,
            int waitingNotices,
            List<String> problems)
            implements FaultReport {
        double ratio() {
            return lastResultS / bound.seconds();
        }

        String table() {
            StringBuilder out = new StringBuilder();
            out.append(String.format(
                    "%n| alerts | actions | ingest s | last decision s | last executed s | last result decided s |"
                            + " last timeline entry s | bound s | ratio |%n"));
            out.append("|---|---|---|---|---|---|---|---|---|\n");
            out.append(String.format(
                    "| %d | %d | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.2f x |%n",
                    alerts,
                    actions,
                    ingestS,
                    lastDecisionS,
                    lastExecutedS,
                    lastResultS,
                    lastTimelineS,
                    bound.seconds(),
                    ratio()));
            out.append(String.format("bound: %s%n", bound));
            out.append(String.format("%s was called at (s): %s%n", bound.target(), busiestCalls));
            out.append(String.format("first call at %.1f s%n", firstCallS));
            out.append(String.format(
                    "held actions told on the timeline (action.waiting, held by a limit for 1 s or more): %d%n",
                    waitingNotices));
            out.append(String.format("timeline lag (records behind, every 2 s): %s%n", String.join(" ", timelineLag)));
            out.append(String.format(
                    "checks: executed twice %d, limits held %s, lost %d%s%n",
                    executedTwice,
                    limitsHeld ? "yes" : "no",
                    lost,
                    problems.isEmpty() ? "" : "; problems: " + problems.subList(0, Math.min(10, problems.size()))));
            return out.toString();
        }

        @Override
        public String toString() {
            return String.format(
                    "storm: bound %.1f s, last result %.1f s, ratio %.2f x, executed twice %d, limits held %s, lost %d",
                    bound.seconds(), lastResultS, ratio(), executedTwice, limitsHeld ? "yes" : "no", lost);
        }
    }

    /**
     * When {@code n} calls of one target taking {@code each} ms, all there at 0, end at the soonest: one at a time, and
     * at most {@link #TARGET_RATE} in any {@link #TARGET_WINDOW_MS} as the target sees them, which the actors hold by
     * counting a finished call from its finish (docs/rules.md): the call {@code TARGET_RATE} places later starts a window
     * after the earlier one ended.
     */
    static long soonest(int n, long each) {
        long[] starts = new long[n];
        for (int k = 0; k < n; k++) {
            long after = k == 0 ? 0 : starts[k - 1] + each;
            starts[k] = k < TARGET_RATE ? after : Math.max(after, starts[k - TARGET_RATE] + each + TARGET_WINDOW_MS);
        }
        return n == 0 ? 0 : starts[n - 1] + each;
    }

    /** The lower bound: the largest of what the ingest, the service's latency under the limits and the deadlines allow. */
    record Bound(double ingestS, double concurrencyS, double targetS, String target, double deadlineS) {
        double seconds() {
            return Math.max(Math.max(ingestS, concurrencyS), Math.max(targetS, deadlineS));
        }

        @Override
        public String toString() {
            return String.format(
                    "ingest %.1f s (the webhook's accepted rate); actions x latency / concurrency %d: %.1f s; the"
                            + " busiest target (%s: its calls one at a time, %d per %d s) %.1f s; the last deadline"
                            + " due %.1f s",
                    ingestS,
                    SYSTEM_CONCURRENCY,
                    concurrencyS,
                    target,
                    TARGET_RATE,
                    TARGET_WINDOW_MS / 1000,
                    targetS,
                    deadlineS);
        }
    }

    public static void main(String[] args) throws Exception {
        boolean quick = Arrays.asList(args).contains("--quick");
        try (FaultCluster cluster = FaultCluster.start()) {
            Report report = run(cluster, quick ? Shape.QUICK : Shape.FULL);
            System.out.print(report.table());
            System.out.println(report);
            System.exit(report.ok() ? 0 : 1);
        }
    }

    static Report run(FaultCluster cluster, Shape shape) throws Exception {
        StormWorkload workload =
                new StormWorkload(shape.alerts(), shape.spread().toMillis(), shape.groupSize());
        TopicNames names = cluster.topics("stub");
        cluster.createTopic(names.ingest("alertmanager"));
        ReflexSerdes serdes = cluster.serdes();
        catalog(cluster, names, serdes);
        BenchCluster.publishRules(cluster.bootstrap(), cluster.registryUrl(), names, StormWorkload.rules());
        List<String> problems = Collections.synchronizedList(new ArrayList<>());
        try (StubService service = new StubService((path, n) -> new int[] {
                    Math.floorMod(path.hashCode(), 100) == 0 ? 500 : 200,
                    path.startsWith("/call/" + StormWorkload.SLOW_TARGET + "/") ? SLOW_MS : LATENCY_MS
                });
                WebhookConnector webhook = WebhookConnector.start(new WebhookConfig(Map.of(
                        WebhookConfig.BOOTSTRAP_SERVERS_CONFIG,
                        cluster.bootstrap(),
                        WebhookConfig.TOPIC_PREFIX_CONFIG,
                        names.prefix(),
                        WebhookConfig.HTTP_PORT_CONFIG,
                        0)));
                StormTaps taps = new StormTaps(cluster, names, serdes)) {
            Child actor = new Child(
                            "actor",
                            cluster.dir.resolve(names.prefix() + "actor.log"),
                            cluster.httpActorArgs(names, "stub", service.url(), "http.max.attempts=1"))
                    .start();
            Child engine = new Child(
                            "engine",
                            cluster.dir.resolve(names.prefix() + "engine.log"),
                            cluster.engineArgs(names, "a", true))
                    .start();
            try {
                cluster.awaitEngines(names.prefix() + "engine", 1, Duration.ofMinutes(2));
                taps.awaitActorGroup("reflex-actor-stub", Duration.ofMinutes(2));
                List<StormWorkload.Group> warmUp = StormWorkload.warmUp(shape.alerts() / 5, shape.groupSize());
                post(webhook.port(), warmUp, System.currentTimeMillis(), problems);
                taps.awaitWarmUps(shape.alerts() / 5, Duration.ofMinutes(2));
                long started = System.currentTimeMillis();
                long ingested = post(webhook.port(), workload.groups, started, problems);
                int expected = workload.expectedActions();
                long deadline = started + Duration.ofMinutes(5).toMillis();
                List<String> lag = new ArrayList<>();
                long nextLag = started;
                while (System.currentTimeMillis() < deadline && !taps.done(shape.alerts(), expected)) {
                    if (System.currentTimeMillis() >= nextLag) {
                        lag.add(Long.toString(taps.timelineLag()));
                        nextLag += 2_000;
                    }
                    Thread.sleep(100);
                }
                long lastTimeline = taps.awaitTimeline(deadline);
                lag.add(Long.toString(taps.timelineLag()));
                for (Child child : List.of(engine, actor)) {
                    String exit = child.exitedByItself();
                    if (!exit.isEmpty()) {
                        problems.add(exit);
                    }
                }
                return report(shape, workload, service, taps, started, ingested, lastTimeline, lag, problems);
            } finally {
                engine.stop();
                actor.stop();
            }
        }
    }

    /** The system's catalog entry with its limits. */
    private static void catalog(FaultCluster cluster, TopicNames names, ReflexSerdes serdes) throws Exception {
        try (KafkaProducer<String, SystemDef> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", cluster.bootstrap()),
                new StringSerializer(),
                serdes.value(SystemDef.class).serializer())) {
            producer.send(new ProducerRecord<>(
                            names.systems(),
                            "stub",
                            SystemDef.newBuilder()
                                    .setName("stub")
                                    .setVersion("storm")
                                    .setLimits(SystemLimits.newBuilder()
                                            .setTargetRate(new Rate(TARGET_RATE, TARGET_WINDOW_MS))
                                            .setSystemConcurrency(SYSTEM_CONCURRENCY)
                                            .build())
                                    .build()))
                    .get();
        }
    }

    /** Posts every notification at its time (8 at once at most); returns when the last one was accepted. */
    private static long post(int port, List<StormWorkload.Group> groups, long started, List<String> problems)
            throws Exception {
        HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
        URI uri = URI.create("http://127.0.0.1:" + port + "/alertmanager");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        AtomicLong lastAccepted = new AtomicLong();
        AtomicInteger next = new AtomicInteger();
        List<Future<?>> posting = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            posting.add(pool.submit(() -> {
                for (int i; (i = next.getAndIncrement()) < groups.size(); ) {
                    StormWorkload.Group group = groups.get(i);
                    long wait = started + group.atMs() - System.currentTimeMillis();
                    if (wait > 0) {
                        Thread.sleep(wait);
                    }
                    String body = StormWorkload.notification(
                            group,
                            Instant.ofEpochMilli(System.currentTimeMillis()).toString());
                    HttpResponse<String> response = http.send(
                            HttpRequest.newBuilder(uri)
                                    .timeout(Duration.ofSeconds(30))
                                    .header("Content-Type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofString(body))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (response.statusCode() != 202) {
                        problems.add("a notification of " + group.alerts().size() + " alerts was refused with "
                                + response.statusCode() + ": " + response.body());
                    }
                    lastAccepted.accumulateAndGet(System.currentTimeMillis(), Math::max);
                }
                return null;
            }));
        }
        for (Future<?> f : posting) {
            f.get();
        }
        pool.shutdown();
        return lastAccepted.get();
    }

    private static Report report(
            Shape shape,
            StormWorkload workload,
            StubService service,
            StormTaps taps,
            long started,
            long ingested,
            long lastTimeline,
            List<String> lag,
            List<String> problems) {
        int expected = workload.expectedActions();
        // the lower bound
        double latency = 0;
        String busiest = "";
        double busiestS = 0;
        for (Map.Entry<String, Integer> target : workload.actionsPerTarget.entrySet()) {
            int n = target.getValue();
            int each = target.getKey().equals(StormWorkload.SLOW_TARGET) ? SLOW_MS : LATENCY_MS;
            latency += (double) n * each;
            double s = (workload.firstAlertOfTarget.get(target.getKey()) + soonest(n, each)) / 1000.0;
            if (s > busiestS) {
                busiestS = s;
                busiest = target.getKey();
            }
        }
        Bound bound = new Bound(
                (ingested - started) / 1000.0,
                latency / SYSTEM_CONCURRENCY / 1000.0,
                busiestS,
                busiest,
                (workload.lastDeadlineMs + LATENCY_MS) / 1000.0);
        // the checks
        long twice = service.calls.values().stream().filter(n -> n.get() > 1).count();
        service.calls.forEach((key, n) -> {
            if (n.get() > 1) {
                problems.add("action " + key + " executed " + n.get() + " times");
            }
        });
        boolean held = true;
        if (service.mostAtOnce() > SYSTEM_CONCURRENCY) {
            held = false;
            problems.add(service.mostAtOnce() + " calls at once (the system's limit is " + SYSTEM_CONCURRENCY + ")");
        }
        if (service.mostAtOnceForOneTarget() > 1) {
            held = false;
            problems.add(service.mostAtOnceForOneTarget() + " calls of one target at once");
        }
        for (Map.Entry<String, List<Long>> target : service.startsPerTarget.entrySet()) {
            List<Long> starts = new ArrayList<>(target.getValue());
            Collections.sort(starts);
            for (int i = TARGET_RATE; i < starts.size(); i++) {
                long span = starts.get(i) - starts.get(i - TARGET_RATE);
                // exact: the actors count a finished call from its finish, so however late a call reached the
                // service, the one a rate later reaches it a whole window after
                if (span < TARGET_WINDOW_MS) {
                    held = false;
                    problems.add(target.getKey() + ": " + (TARGET_RATE + 1) + " calls within " + span + " ms");
                }
            }
        }
        long lost = taps.lost(shape.alerts(), expected, problems);
        List<Long> busiestStarts = new ArrayList<>(service.startsPerTarget.getOrDefault(busiest, List.of()));
        Collections.sort(busiestStarts);
        StringBuilder calls = new StringBuilder();
        busiestStarts.forEach(t -> calls.append(String.format("%.1f ", (t - started) / 1000.0)));
        return new Report(
                shape.alerts(),
                taps.actions(),
                (ingested - started) / 1000.0,
                (taps.lastDecision() - started) / 1000.0,
                (service.lastAnswered.get() - started) / 1000.0,
                (taps.lastResultDecided() - started) / 1000.0,
                (lastTimeline - started) / 1000.0,
                bound,
                twice,
                held,
                lost,
                lag,
                calls.toString().strip(),
                (service.startsPerTarget.values().stream()
                                        .flatMap(List::stream)
                                        .mapToLong(Long::longValue)
                                        .min()
                                        .orElse(started)
                                - started)
                        / 1000.0,
                taps.waitingNotices(),
                problems);
    }
}
