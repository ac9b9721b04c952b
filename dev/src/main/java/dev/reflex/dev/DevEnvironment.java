package dev.reflex.dev;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import dev.reflex.actors.ActorRunner;
import dev.reflex.actors.http.HttpActorConfig;
import dev.reflex.actors.http.HttpExecutor;
import dev.reflex.actors.log.LogActor;
import dev.reflex.audit.publish.RulePublisher;
import dev.reflex.cli.Settings;
import dev.reflex.connectors.webhook.WebhookConfig;
import dev.reflex.connectors.webhook.WebhookConnector;
import dev.reflex.embedded.ApicurioRegistry;
import dev.reflex.embedded.EmbeddedKafka;
import dev.reflex.engine.Engine;
import dev.reflex.engine.EngineConfig;
import dev.reflex.engine.EngineProcess;
import dev.reflex.rules.files.RuleDiff;
import dev.reflex.schemas.KafkaConnection;
import dev.reflex.schemas.TopicAdmin;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.registry.SchemaRegistryClient;
import dev.reflex.schemas.serde.ReflexSerdes;

/**
 * Everything {@code reflex dev} runs, on 127.0.0.1: a KRaft broker in this JVM, the Apicurio registry as a child
 * process (both keeping their data under the data directory), the engine, the webhook connector, and the log actor
 * printing every action. Closing stops them in reverse order.
 */
public final class DevEnvironment implements AutoCloseable {
    /** What {@code reflex dev} can be told. */
    public record Options(
            Path dataDir, int kafkaPort, int controllerPort, int registryPort, int httpPort, Path rulesDir) {}

    private static final int STEPS = 7;
    /** The system whose actions reflex dev sends to its stand-in service through the HTTP actor. */
    static final String DEMO_SYSTEM = "service-manager";

    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private final PrintStream out;
    private String webhookUrl;
    private boolean inStep;
    private Engine engine;
    private String apiUrl;

    private final Map<String, String> environment;

    private DevEnvironment(PrintStream out, Map<String, String> environment) {
        this.out = out;
        this.environment = environment;
    }

    public static DevEnvironment start(Options options, PrintStream out) throws Exception {
        return start(options, out, System.getenv());
    }

    static DevEnvironment start(Options options, PrintStream out, Map<String, String> environment) throws Exception {
        DevEnvironment dev = new DevEnvironment(out, environment);
        try {
            dev.run(options);
            return dev;
        } catch (Exception | Error e) {
            if (dev.inStep) {
                out.println("failed");
            }
            dev.close();
            throw e;
        }
    }

    private void run(Options o) throws Exception {
        long begin = System.nanoTime();
        Files.createDirectories(o.dataDir());
        out.println("Reflex dev: everything on 127.0.0.1, data in " + o.dataDir());

        long t = step(1, "Kafka broker");
        // after a kill -9 the controller keeps the broker's old registration until its session ends (9 s by default),
        // and the
        // restarted broker waits for that: one broker in one process, so a short session costs nothing
        EmbeddedKafka kafka = EmbeddedKafka.start(
                o.dataDir().resolve("kafka"),
                o.kafkaPort(),
                o.controllerPort(),
                Duration.ofSeconds(60),
                Map.of("broker.session.timeout.ms", "2000", "broker.heartbeat.interval.ms", "500"));
        started.push(kafka);
        done(t, "ready on " + kafka.bootstrapServers());

        t = step(2, "schema registry");
        ApicurioRegistry registry = ApicurioRegistry.start(
                o.dataDir().resolve("registry"),
                o.registryPort(),
                Optional.of(o.dataDir().resolve("registry").resolve("schemas")),
                Duration.ofSeconds(120));
        started.push(registry);
        done(t, "ready on " + registry.url());

        TopicNames names = new TopicNames(environment.getOrDefault(
                Settings.environmentVariable(EngineConfig.TOPIC_PREFIX_CONFIG), TopicNames.DEFAULT_PREFIX));
        ReflexSerdes serdes = new ReflexSerdes(new SchemaRegistryClient(registry.url()), true);
        t = step(3, "topics and rules");
        String summary;
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            if (o.rulesDir() != null && Files.exists(o.rulesDir())) {
                RuleDiff diff = RulePublisher.apply(
                        o.rulesDir(), KafkaConnection.plaintext(kafka.bootstrapServers()), admin, names, serdes, false);
                int live = diff.added().size()
                        + diff.changed().size()
                        + diff.unchanged().size();
                summary = live + " rules from " + o.rulesDir()
                        + (diff.isEmpty()
                                ? ""
                                : " (" + diff.added().size() + " added, "
                                        + diff.changed().size() + " changed, "
                                        + diff.removed().size() + " removed)");
            } else {
                new TopicAdmin(admin, Optional.empty(), Optional.empty(), 30_000).ensure(names.fixed());
                summary = "no rules loaded (no directory " + o.rulesDir() + ")";
            }
        }
        done(t, summary);

        t = step(4, "engine");
        // REFLEX_* variables apply as they would to reflex engine; what dev itself runs on wins.
        Map<String, String> engineFlags = new HashMap<>();
        engineFlags.put(EngineConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        engineFlags.put(EngineConfig.SCHEMA_REGISTRY_URL_CONFIG, registry.url());
        engineFlags.put(EngineConfig.TOPIC_PREFIX_CONFIG, names.prefix());
        engineFlags.put(
                EngineConfig.STATE_DIR_CONFIG, o.dataDir().resolve("streams").toString());
        Map<String, Object> engineSettings = new HashMap<>();
        engineSettings.put(EngineConfig.INSTANCE_ID_CONFIG, "dev");
        engineSettings.put(EngineConfig.METADATA_MAX_AGE_MS_CONFIG, "2000");
        // one instance on this machine, always the same member: restarted after a kill -9 it takes its partitions back
        // at
        // once instead of waiting out the dead member's session
        engineSettings.put("group.instance.id", "reflex-dev");
        engineSettings.putAll(Settings.resolve(EngineConfig.CONFIG, null, environment, engineFlags));
        EngineProcess engine = EngineProcess.start(engineSettings);
        started.push(engine);
        this.engine = engine.engine();
        this.apiUrl = engine.apiUrl().orElse(null);
        if (!engine.awaitRunning(Duration.ofSeconds(90))) {
            throw new IllegalStateException("the engine did not reach RUNNING within 90 s (state "
                    + engine.engine().state() + ")");
        }
        done(
                t,
                "running"
                        + engine.apiUrl()
                                .map(url -> ", API on " + url + "/api/rules")
                                .orElse(""));

        t = step(5, "webhook connector");
        Map<String, String> webhookFlags = new HashMap<>();
        webhookFlags.put(WebhookConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        webhookFlags.put(WebhookConfig.TOPIC_PREFIX_CONFIG, names.prefix());
        webhookFlags.put(WebhookConfig.HTTP_PORT_CONFIG, Integer.toString(o.httpPort()));
        WebhookConnector webhook = WebhookConnector.start(
                new WebhookConfig(Settings.resolve(WebhookConfig.CONFIG, null, environment, webhookFlags)));
        started.push(webhook);
        webhookUrl = "http://127.0.0.1:" + webhook.port();
        done(t, "listening on " + webhookUrl + "/events/{source}");

        t = step(6, "log actor");
        // the log actor stands in for every system but the HTTP actor's, and reports what it prints as done, so flows
        // move on
        // static members, like the engine: after a kill -9 they take their partitions back at once
        LogActor actor = new LogActor(
                        KafkaConnection.plaintext(kafka.bootstrapServers()),
                        "reflex-dev-log-actor",
                        names,
                        serdes,
                        out,
                        Map.of("group.instance.id", "reflex-dev-log-actor"))
                .reportingFor(system -> !system.equals(DEMO_SYSTEM), serdes)
                .start();
        started.push(actor);
        done(t, "printing every action below");

        t = step(7, "http actor");
        DemoService service = DemoService.start(out);
        started.push(service);
        HttpActorConfig httpSettings =
                new HttpActorConfig(Map.of(HttpActorConfig.BASE_URL_CONFIG, service.url()), environment);
        ActorRunner http = new ActorRunner(
                        KafkaConnection.plaintext(kafka.bootstrapServers()),
                        names,
                        serdes,
                        DEMO_SYSTEM,
                        "reflex-dev-actor-" + DEMO_SYSTEM,
                        new HttpExecutor(httpSettings),
                        new SimpleMeterRegistry(),
                        Map.of("group.instance.id", "reflex-dev-actor-" + DEMO_SYSTEM))
                .start();
        started.push(http);
        if (!http.awaitReady(Duration.ofSeconds(60))) {
            throw new IllegalStateException("the HTTP actor did not start within 60 s");
        }
        done(t, DEMO_SYSTEM + " actions go to a stand-in service at " + service.url());

        out.printf("%nReady in %.1f s. Send a first event:%n%n", (System.nanoTime() - begin) / 1e9);
        out.println("  curl -s -X POST " + webhookUrl + "/events/monitoring -H 'Content-Type: application/json' \\");
        out.println("       -d '{\"type\":\"cpu.high\",\"subject\":\"web-1\",\"cpu\":97}'");
        out.println();
        out.println("Or let Alertmanager report a service down, and watch it restarted and reported:");
        out.println();
        out.println("  curl -s -X POST " + webhookUrl + "/alertmanager -H 'Content-Type: application/json' \\");
        out.println("       -d @examples/events/alertmanager-service-down.json");
        out.println();
        if (apiUrl != null && engine.timeline().isPresent()) {
            out.println("Then watch it on the timeline, live, system by system: " + apiUrl + "/ui/");
            out.println();
        }
        out.println("GitHub webhooks go to " + webhookUrl + "/github once REFLEX_GITHUB_WEBHOOK_SECRET is set.");
        out.println("Actions appear below as [action] lines. Rules: " + o.rulesDir()
                + "; logs: standard error. Ctrl-C stops everything.");
        out.println();
    }

    /** The engine that reflex dev runs. */
    public Engine engine() {
        return engine;
    }

    /** The engine API's address (the web UI is under /ui/), or null when the API is off. */
    public String apiUrl() {
        return apiUrl;
    }

    public String webhookUrl() {
        return webhookUrl;
    }

    private long step(int n, String what) {
        out.printf("  [%d/%d] %-20s ", n, STEPS, what);
        out.flush();
        inStep = true;
        return System.nanoTime();
    }

    private void done(long since, String result) {
        out.printf("%s (%.1f s)%n", result, (System.nanoTime() - since) / 1e9);
        inStep = false;
    }

    @Override
    public void close() {
        while (!started.isEmpty()) {
            AutoCloseable next = started.pop();
            try {
                next.close();
            } catch (Exception e) {
                System.err.println("while stopping " + next.getClass().getSimpleName() + ": " + e.getMessage());
            }
        }
    }

    static Path defaultRulesDir() {
        String home = System.getProperty("reflex.home");
        Path base = home == null ? Path.of("") : Path.of(home);
        return base.resolve("examples").resolve("rules");
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }
}
