package dev.reflex.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.reflex.embedded.Ports;
import dev.reflex.engine.EngineConfig;
import dev.reflex.engine.EngineProcess;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.SystemDef;
import dev.reflex.schemas.SystemMatch;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.registry.SchemaRegistryClient;
import dev.reflex.schemas.serde.ReflexSerdes;
import dev.reflex.topology.timeline.TimelineTopology;

/**
 * The timeline with real volume, end to end: an embedded broker and registry, one engine process (engine, timeline
 * and API, exactly_once_v2, default settings), a catalog of 4 aggregates over 20 services and a database two of them
 * share, and EVENTS events published to {@code reflex.events} over the last 7 days (the engine decides each one, so
 * the timeline holds every event and its decision). Then timeline queries over HTTP for 24 hours of one system:
 * latency percentiles per system and page size, a text search, and the timeline's disk use.
 *
 * <p>Usage: {@code bench/run-timeline [--quick]}: 1,000,000 events (about 10 minutes on 2 cores); --quick 100,000.
 * {@code bench/run-timeline --rate=N [--seconds=S]}: events arriving live at N per second for S seconds (default 60),
 * with the engine's and the timeline's lag every 2 s.
 */
public final class TimelineBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long DAY = 24 * 3_600_000L;
    private static final int SERVICES = 20;
    private static final String[] TYPES = {
        "cpu.high",
        "disk.full",
        "deploy.done",
        "alert.firing",
        "alert.resolved",
        "latency.high",
        "error.spike",
        "pod.oom",
        "backup.done",
        "cert.expiring"
    };

    private TimelineBench() {}

    public static void main(String[] args) throws Exception {
        for (String arg : args) {
            if (arg.startsWith("--rate=")) {
                int seconds = Arrays.stream(args)
                        .filter(a -> a.startsWith("--seconds="))
                        .map(a -> Integer.parseInt(a.substring("--seconds=".length())))
                        .findFirst()
                        .orElse(60);
                paced(Integer.parseInt(arg.substring("--rate=".length())), seconds);
                return;
            }
        }
        boolean quick = Arrays.asList(args).contains("--quick");
        int events = quick ? 100_000 : 1_000_000;
        int queries = quick ? 100 : 300;
        try (BenchCluster cluster = BenchCluster.start()) {
            TopicNames names = cluster.engineTopics("id: page-on-db-down\nwhen: {source: bench, type: db.down}\nthen:\n"
                    + "  - {system: ops, action: page}\n");
            ReflexSerdes serdes = new ReflexSerdes(new SchemaRegistryClient(cluster.registry.url()), true);
            publishCatalog(cluster.bootstrap(), names, serdes);
            long now = System.currentTimeMillis();
            System.err.printf("publishing %,d events over 7 days...%n", events);
            publishEvents(cluster.bootstrap(), names, serdes, events, now);

            Map<String, Object> settings = cluster.engineSettings(names, StreamsConfig.EXACTLY_ONCE_V2, 100);
            int port = Ports.freePort();
            settings.put(EngineConfig.API_PORT_CONFIG, String.valueOf(port));
            long start = System.nanoTime();
            try (EngineProcess engine = EngineProcess.start(settings)) {
                engine.awaitRunning(Duration.ofMinutes(2));
                String engineGroup = names.prefix() + "engine";
                String timelineGroup = engineGroup + "-timeline";
                System.err.println("the engine decides every event; the timeline records events and decisions...");
                cluster.awaitConsumed(engineGroup, List.of(names.events()));
                double engineSeconds = (System.nanoTime() - start) / 1e9;
                cluster.awaitConsumed(
                        timelineGroup,
                        Stream.concat(
                                        TimelineTopology.inputTopics(names).stream(),
                                        Stream.of(TimelineTopology.repartitionTopic(timelineGroup)))
                                .toList());
                double timelineSeconds = (System.nanoTime() - start) / 1e9;
                Map<Long, Long> timelineCpu = EngineThroughput.cpuOf(timelineGroup);
                String timelineThreads = EngineThroughput.cpuByThread(Map.of(), timelineCpu, events);
                double timelineMicros = EngineThroughput.cpuBetween(Map.of(), timelineCpu) / 1e3 / events;
                String api = "http://127.0.0.1:" + port;
                HttpClient http = HttpClient.newHttpClient();
                long to = System.currentTimeMillis();
                long from = to - DAY;
                List<String> rows = new ArrayList<>();
                for (String system : List.of("svc-7", "team-1", "db", "*")) {
                    for (int limit : List.of(1_000, 10_000)) {
                        rows.add(row(
                                http,
                                api + "/api/timeline/" + (system.equals("*") ? "%2A" : system) + "?from=" + from
                                        + "&to=" + to + "&limit=" + limit,
                                system,
                                "limit " + limit,
                                queries));
                    }
                }
                rows.add(row(
                        http,
                        api + "/api/timeline/team-1?from=" + from + "&to=" + to + "&limit=1000&q=host-7",
                        "team-1",
                        "search 'host-7', limit 1000",
                        queries));
                rows.add(row(
                        http,
                        api + "/api/timeline/db/before?type=cpu.high&subject=db-3",
                        "db",
                        "has this happened before (30 days)",
                        queries));
                rows.add(row(
                        http,
                        api + "/api/systems",
                        "all 26",
                        "the tree with each system's state now (the UI's every 15 s)",
                        Math.max(20, queries / 10)));
                System.out.printf(
                        "%n%,d events over 7 days, each with its decision: the engine decided them in %.0f s, the timeline"
                                + " had recorded them all %.0f s after the start (%,.0f events/s with their decisions).%n",
                        events, engineSeconds, timelineSeconds, events / timelineSeconds);
                System.out.printf(
                        "The timeline's threads spent %.1f µs CPU per event with its decision (%s).%n",
                        timelineMicros, timelineThreads);
                System.out.printf(
                        "Timeline state on disk: %,.0f MB (%s).%n%n",
                        bytes(Path.of(settings.get(EngineConfig.STATE_DIR_CONFIG)
                                                .toString())
                                        .resolve(timelineGroup))
                                / 1e6,
                        "RocksDB, every entry once per system it is on");
                System.out.println(
                        "| system | query over the last 24 hours | entries returned | p50 ms | p99 ms | max ms |");
                System.out.println("|---|---|---|---|---|---|");
                rows.forEach(System.out::println);
                System.out.printf(
                        "%nHTTP GET on the engine's API (JSON), %d times each after 20 warm-up requests, one at a time.%n",
                        queries);
            }
        }
    }

    /**
     * Events arriving live at {@code rate} per second for {@code seconds}, through the engine and its timeline in one
     * process: the engine's and the timeline's lag every 2 s (records of their inputs not committed yet), then how long
     * after the last event each had taken in everything.
     */
    private static void paced(int rate, int seconds) throws Exception {
        try (BenchCluster cluster = BenchCluster.start()) {
            TopicNames names = cluster.engineTopics("id: page-on-db-down\nwhen: {source: bench, type: db.down}\nthen:\n"
                    + "  - {system: ops, action: page}\n");
            ReflexSerdes serdes = new ReflexSerdes(new SchemaRegistryClient(cluster.registry.url()), true);
            publishCatalog(cluster.bootstrap(), names, serdes);
            Map<String, Object> settings = cluster.engineSettings(names, StreamsConfig.EXACTLY_ONCE_V2, 100);
            settings.put(EngineConfig.API_PORT_CONFIG, String.valueOf(Ports.freePort()));
            String engineGroup = names.prefix() + "engine";
            String timelineGroup = engineGroup + "-timeline";
            List<String> engineInputs = List.of(names.events());
            String repartition = TimelineTopology.repartitionTopic(timelineGroup);
            List<String> timelineInputs = List.of(names.events(), names.decisions(), names.flows(), repartition);
            try (EngineProcess engine = EngineProcess.start(settings);
                    KafkaProducer<String, Event> producer = new KafkaProducer<>(
                            Map.of("bootstrap.servers", cluster.bootstrap(), "linger.ms", 5),
                            new StringSerializer(),
                            serdes.value(Event.class).serializer())) {
                engine.awaitRunning(Duration.ofMinutes(2));
                // the timeline's repartition topic exists once the timeline has started
                while (!cluster.admin.listTopics().names().get().contains(repartition)) {
                    Thread.sleep(200);
                }
                System.err.printf("%,d events/s for %d s through the engine and its timeline...%n", rate, seconds);
                System.out.printf("%n| s | events sent | engine lag | timeline lag |%n|---|---|---|---|%n");
                long start = System.currentTimeMillis();
                long nextReport = start + 2_000;
                long maxLag = 0;
                int sent = 0;
                int total = rate * seconds;
                while (sent < total) {
                    long now = System.currentTimeMillis();
                    int due = (int) Math.min(total, (now - start) * (long) rate / 1_000);
                    for (; sent < due; sent++) {
                        Event event = event(sent, now);
                        producer.send(new ProducerRecord<>(names.events(), null, now, event.getSubject(), event));
                    }
                    if (now >= nextReport) {
                        long timelineLag = BenchCluster.lag(cluster.admin, timelineGroup, timelineInputs);
                        maxLag = Math.max(maxLag, timelineLag);
                        System.out.printf(
                                "| %d | %,d | %,d | %,d |%n",
                                (now - start) / 1_000,
                                sent,
                                BenchCluster.lag(cluster.admin, engineGroup, engineInputs),
                                timelineLag);
                        nextReport += 2_000;
                    }
                    Thread.sleep(10);
                }
                producer.flush();
                long last = System.currentTimeMillis();
                cluster.awaitConsumed(engineGroup, engineInputs);
                double engineAfter = (System.currentTimeMillis() - last) / 1e3;
                long timelineLag;
                while ((timelineLag = BenchCluster.lag(cluster.admin, timelineGroup, timelineInputs)) > 0) {
                    maxLag = Math.max(maxLag, timelineLag);
                    Thread.sleep(200);
                }
                double timelineAfter = (System.currentTimeMillis() - last) / 1e3;
                System.out.printf(
                        "%ntimeline at %,d events/s for %d s: lag at most %,d records; everything taken in %.1f s after the"
                                + " last event (the engine: %.1f s)%n",
                        rate, seconds, maxLag, timelineAfter, engineAfter);
            }
        }
    }

    /** The i-th event of the workload, at {@code at}. */
    private static Event event(int i, long at) {
        String subject = i % 20 == 0 ? "db-" + (i % 7) : "svc-" + (i % SERVICES) + "-host-" + (i % 50);
        return Event.newBuilder()
                .setId("t-" + i)
                .setSource("bench")
                .setType(TYPES[i % TYPES.length])
                .setSubject(subject)
                .setTime(Instant.ofEpochMilli(at))
                .setSeverity(i % 3 == 0 ? "warning" : "info")
                .setData("{\"summary\":\"" + TYPES[i % TYPES.length] + " on " + subject + "\",\"value\":" + (i % 100)
                        + ",\"token\":\"secret-" + i + "\",\"region\":\"eu-west-1\"}")
                .build();
    }

    private static String row(HttpClient http, String url, String system, String what, int n) throws Exception {
        int returned = 0;
        long[] ms = new long[n];
        for (int i = -20; i < n; i++) {
            long t = System.nanoTime();
            HttpResponse<String> response = http.send(
                    HttpRequest.newBuilder(URI.create(url))
                            .timeout(Duration.ofSeconds(60))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            long took = System.nanoTime() - t;
            if (response.statusCode() != 200) {
                throw new IllegalStateException(url + " answered " + response.statusCode() + ": " + response.body());
            }
            if (i >= 0) {
                ms[i] = took;
            }
            if (i == 0) {
                JsonNode body = JSON.readTree(response.body());
                returned = body.has("entries")
                        ? body.path("entries").size()
                        : body.has("systems")
                                ? body.path("systems").size()
                                : body.path("occurrences").size();
            }
        }
        Arrays.sort(ms);
        return String.format(
                "| %s | %s | %,d | %.1f | %.1f | %.1f |",
                system, what, returned, ms[n / 2] / 1e6, ms[(int) Math.ceil(n * 0.99) - 1] / 1e6, ms[n - 1] / 1e6);
    }

    /** team-0..3 each include 5 services; db, which team-0 and team-1 share, matches subjects db-*. */
    private static void publishCatalog(String bootstrap, TopicNames names, ReflexSerdes serdes) {
        try (KafkaProducer<String, SystemDef> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", bootstrap),
                new StringSerializer(),
                serdes.value(SystemDef.class).serializer())) {
            for (int s = 0; s < SERVICES; s++) {
                send(
                        producer,
                        names,
                        system(
                                "svc-" + s,
                                List.of(),
                                List.of(SystemMatch.newBuilder()
                                        .setSource("bench")
                                        .setSubject("svc-" + s + "-*")
                                        .build())));
            }
            send(
                    producer,
                    names,
                    system(
                            "db",
                            List.of(),
                            List.of(SystemMatch.newBuilder().setSubject("db-*").build())));
            for (int t = 0; t < 4; t++) {
                List<String> includes = new ArrayList<>();
                for (int s = t * 5; s < t * 5 + 5; s++) {
                    includes.add("svc-" + s);
                }
                if (t < 2) {
                    includes.add("db");
                }
                send(producer, names, system("team-" + t, includes, List.of()));
            }
            producer.flush();
        }
    }

    private static SystemDef system(String name, List<String> includes, List<SystemMatch> match) {
        return SystemDef.newBuilder()
                .setName(name)
                .setVersion("v1")
                .setIncludes(includes)
                .setMatch(match)
                .setMask(List.of("token"))
                .build();
    }

    private static void send(KafkaProducer<String, SystemDef> producer, TopicNames names, SystemDef system) {
        producer.send(new ProducerRecord<>(names.systems(), system.getName(), system));
    }

    /** Events spread evenly over the 7 days before {@code now}; one in 20 about a database host, the rest about services. */
    private static void publishEvents(String bootstrap, TopicNames names, ReflexSerdes serdes, int n, long now) {
        try (KafkaProducer<String, Event> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", bootstrap, "linger.ms", 20, "batch.size", 262_144),
                new StringSerializer(),
                serdes.value(Event.class).serializer())) {
            long span = 7 * DAY;
            for (int i = 0; i < n; i++) {
                long at = now - span + (span * i) / n;
                Event event = event(i, at);
                producer.send(new ProducerRecord<>(names.events(), null, at, event.getSubject(), event));
            }
            producer.flush();
        }
    }

    private static long bytes(Path dir) throws Exception {
        if (!Files.exists(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile)
                    .mapToLong(p -> p.toFile().length())
                    .sum();
        }
    }
}
