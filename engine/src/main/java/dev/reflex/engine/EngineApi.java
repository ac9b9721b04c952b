package dev.reflex.engine;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.staticfiles.Location;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import dev.reflex.admin.AdminServer;
import dev.reflex.admin.BearerTokens;
import dev.reflex.rules.IndexedRule;
import dev.reflex.rules.QuarantinedRule;
import dev.reflex.schemas.Correlate;
import dev.reflex.schemas.CorrelateCompanion;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.FlowInstance;
import dev.reflex.schemas.Register;
import dev.reflex.schemas.Rule;

/**
 * The engine's read-only HTTP API, served from its state (Kafka Streams interactive queries):
 * <ul>
 * <li>{@code GET /api/rules}, {@code GET /api/rules/ID}: rules with versions, active or quarantined with the reason;</li>
 * <li>{@code GET /api/registers/NAME}: a register's value, asked of the instance that owns it;</li>
 * <li>{@code GET /api/decisions/EVENT_ID}: a recent decision, from whichever instance keeps it;</li>
 * <li>{@code GET /api/flows/FLOW/KEY}: a flow instance's current state, asked of the instance that owns it;</li>
 * <li>{@code GET /api/health/ready} (also {@code /api/health}): 200 only while Kafka Streams is RUNNING, which it
 * reaches once the global stores (rules, registers) are loaded; 503 otherwise;</li>
 * <li>{@code GET /api/health/live}: 200 while the engine is starting, rebalancing or running; 503 once Kafka Streams is
 * in ERROR or stopped, so an orchestrator restarts the process;</li>
 * <li>{@code GET /metrics}: the engine's meters in the Prometheus text format (see {@link Engine#bindMetrics}).</li>
 * </ul>
 * Nothing here writes. Requests routed on to another instance carry {@code ?local=true} so they go no further. With
 * {@code reflex.api.token} set, the {@code /api/} routes but health require it as a bearer token (instances pass it on).
 */
final class EngineApi implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EngineApi.class);

    private final Javalin app;
    private volatile Engine engine;
    private HostInfo self;
    private final InstanceClient instances;
    private volatile Timeline timeline;
    private final TimelineApi timelineApi;

    private EngineApi(PrometheusMeterRegistry metrics, String token) {
        this.instances = new InstanceClient(token);
        app = Javalin.create(cfg -> {
            cfg.showJavalinBanner = false;
            cfg.staticFiles.add(files -> {
                files.hostedPath = "/ui";
                files.directory = "/reflex-ui";
                files.location = Location.CLASSPATH;
                files.headers = Map.of(
                        "Content-Security-Policy",
                        "default-src 'self'; img-src 'self' data:",
                        "X-Content-Type-Options",
                        "nosniff",
                        "Cache-Control",
                        "no-cache");
            });
        });
        app.get("/", ctx -> ctx.redirect("/ui/"));
        app.before("/api/*", ctx -> {
            if (!ctx.path().startsWith("/api/health") && !BearerTokens.admits(token, ctx.header("Authorization"))) {
                ctx.header("WWW-Authenticate", "Bearer");
                json(
                        ctx,
                        401,
                        Map.of("error", "this engine's API needs its token: Authorization: Bearer <reflex.api.token>"));
                ctx.skipRemainingHandlers();
            }
        });
        AdminServer.metricsRoute(app, metrics);
        app.get("/api/health", this::ready);
        app.get("/api/health/ready", this::ready);
        app.get("/api/health/live", this::live);
        app.get(
                "/api/rules",
                ctx -> json(
                        ctx, 200, engine().rules().stream().map(EngineApi::rule).toList()));
        app.get("/api/rules/{id}", this::oneRule);
        app.get("/api/registers/<name>", this::register);
        app.get("/api/decisions/<id>", this::decision);
        app.get("/api/flows/{flow}/<key>", this::flow);
        timelineApi = new TimelineApi(app, () -> timeline, () -> engine().rules(), instances, () -> self);
        app.exception(
                InvalidStateStoreException.class,
                (e, ctx) -> json(
                        ctx,
                        503,
                        Map.of(
                                "error",
                                "the engine's state is not queryable right now (starting or rebalancing); retry shortly")));
        app.exception(NotReady.class, (e, ctx) -> json(ctx, 503, Map.of("error", "the engine is not started yet")));
        app.exception(Exception.class, (e, ctx) -> {
            LOG.error("API request {} failed", ctx.path(), e);
            json(ctx, 500, Map.of("error", "internal error; see the engine's log"));
        });
    }

    private static final class NotReady extends RuntimeException {}

    /**
     * Listens as the settings say, before the engine starts, and returns the settings with {@code application.server}
     * pointing here (so other instances can route to this one); empty when the API is off.
     */
    static Optional<EngineApi> start(EngineConfig config, PrometheusMeterRegistry metrics) {
        int port = config.getInt(EngineConfig.API_PORT_CONFIG);
        if (port < 0) {
            return Optional.empty();
        }
        EngineApi api = new EngineApi(metrics, config.apiToken());
        AdminServer.start(
                api.app,
                config.getString(EngineConfig.API_HOST_CONFIG),
                port,
                EngineConfig.API_PORT_CONFIG + " (-1 turns the API off)");
        api.self = new HostInfo(config.apiAdvertisedHost(), api.app.port());
        return Optional.of(api);
    }

    /** The engine settings with {@code application.server} set to this API, unless the settings already set it. */
    Map<String, Object> routedSettings(Map<String, Object> settings) {
        Map<String, Object> routed = new LinkedHashMap<>(settings);
        routed.putIfAbsent("application.server", self.host() + ":" + self.port());
        return routed;
    }

    void attach(Engine engine, Optional<Timeline> timeline) {
        this.engine = engine;
        this.timeline = timeline.orElse(null);
    }

    String url() {
        return "http://" + self.host() + ":" + self.port();
    }

    private Engine engine() {
        Engine e = engine;
        if (e == null) {
            throw new NotReady();
        }
        return e;
    }

    private KafkaStreams.State state() {
        Engine e = engine;
        return e == null ? KafkaStreams.State.CREATED : e.state();
    }

    private void ready(Context ctx) {
        KafkaStreams.State state = state();
        boolean up = state == KafkaStreams.State.RUNNING && alive(timelineState());
        health(ctx, up, state);
    }

    private void live(Context ctx) {
        KafkaStreams.State state = state();
        health(ctx, alive(state) && alive(timelineState()), state);
    }

    private static boolean alive(KafkaStreams.State state) {
        return state == null
                || state == KafkaStreams.State.CREATED
                || state == KafkaStreams.State.REBALANCING
                || state == KafkaStreams.State.RUNNING;
    }

    /** The timeline's state, null when there is none; a stopped or failed timeline makes the instance unhealthy. */
    private KafkaStreams.State timelineState() {
        Timeline t = timeline;
        return t == null ? null : t.state();
    }

    private void health(Context ctx, boolean up, KafkaStreams.State state) {
        Map<String, Object> body = new LinkedHashMap<>();
        Engine e = engine;
        Optional<String> stall = e == null ? Optional.empty() : e.stall();
        up = up && stall.isEmpty();
        body.put("status", up ? "UP" : "DOWN");
        body.put("state", state.name());
        stall.ifPresent(reason -> body.put("reason", reason));
        KafkaStreams.State t = timelineState();
        if (t != null) {
            body.put("timeline", t.name());
        }
        json(ctx, up ? 200 : 503, body);
    }

    private void oneRule(Context ctx) {
        String id = ctx.pathParam("id");
        Optional<IndexedRule> rule =
                engine().rules().stream().filter(r -> r.id().equals(id)).findFirst();
        if (rule.isEmpty()) {
            json(ctx, 404, Map.of("error", "no rule '" + id + "' on this engine"));
        } else {
            json(ctx, 200, rule(rule.get()));
        }
    }

    static Map<String, Object> rule(IndexedRule indexed) {
        Rule r = indexed.rule();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.getId());
        m.put("kind", r.getFlow() != null ? "flow" : "rule");
        m.put("version", r.getVersion());
        m.put("enabled", r.getEnabled());
        m.put("status", indexed instanceof QuarantinedRule ? "quarantined" : "active");
        if (indexed instanceof QuarantinedRule q) {
            m.put("reason", q.reason());
        }
        m.put("source", r.getWhen().getSource());
        m.put("type", r.getWhen().getType());
        m.put("condition", r.getWhen().getCondition());
        if (r.getCorrelate() != null) {
            m.put("correlate", correlate(r.getCorrelate()));
        }
        m.put("origin", r.getOrigin());
        m.put("description", r.getDescription());
        return m;
    }

    /** A rule's correlate block as rule files write it; absent parts left out. */
    private static Map<String, Object> correlate(Correlate c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("key", c.getKey());
        if (c.getCount() != null) {
            m.put(
                    "count",
                    Map.of(
                            "atLeast",
                            c.getCount().getAtLeast(),
                            "within",
                            c.getCount().getWithin()));
        }
        if (c.getThrottle() != null) {
            m.put(
                    "throttle",
                    Map.of(
                            "max",
                            c.getThrottle().getMax(),
                            "per",
                            c.getThrottle().getPer()));
        }
        m.put("debounce", c.getDebounce());
        for (var companion : new Object[][] {{"unless", c.getUnless()}, {"after", c.getAfter()}}) {
            if (companion[1] instanceof CorrelateCompanion cc) {
                Map<String, Object> w = new LinkedHashMap<>();
                w.put("source", cc.getSource());
                w.put("type", cc.getType());
                w.put("condition", cc.getCondition());
                w.put("within", cc.getWithin());
                m.put((String) companion[0], w);
            }
        }
        m.put("lateness", c.getLateness());
        m.values().removeIf(Objects::isNull);
        return m;
    }

    private void register(Context ctx) throws IOException, InterruptedException {
        String name = ctx.pathParam("name");
        Engine e = engine();
        boolean local = ctx.queryParam("local") != null;
        Optional<HostInfo> owner = e.registerOwner(name);
        if (!local && owner.isPresent() && !owner.get().equals(self)) {
            relay(ctx, ask(owner.get(), "/api/registers/" + EngineApiClient.encode(name)));
            return;
        }
        // the owner answers from the store it applies operations to; anyone else from its replica of the registers
        // topic
        boolean owned = owner.isPresent() && owner.get().equals(self);
        Optional<Register> register = e.register(name, owned);
        if (register.isEmpty()) {
            json(ctx, 404, Map.of("error", "register '" + name + "' is unset"));
            return;
        }
        Register r = register.get();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", r.getName());
        m.put("value", r.getValue());
        m.put("updatedAt", r.getUpdatedAt().toString());
        m.put("expiresAt", r.getExpiresAt() == null ? null : r.getExpiresAt().toString());
        m.put("eventId", r.getEventId());
        m.put("ruleId", r.getRuleId());
        m.put("servedBy", self.host() + ":" + self.port() + (owned ? " (owner)" : " (replica)"));
        json(ctx, 200, m);
    }

    private void flow(Context ctx) throws IOException, InterruptedException {
        String stateKey = ctx.pathParam("flow") + "/" + ctx.pathParam("key");
        Engine e = engine();
        Optional<HostInfo> owner = e.flowOwner(stateKey);
        if (ctx.queryParam("local") == null && owner.isPresent() && !owner.get().equals(self)) {
            relay(
                    ctx,
                    ask(
                            owner.get(),
                            "/api/flows/" + EngineApiClient.encode(ctx.pathParam("flow")) + "/"
                                    + EngineApiClient.encode(ctx.pathParam("key"))));
            return;
        }
        Optional<FlowInstance> instance = e.flowInstance(stateKey);
        if (instance.isEmpty()) {
            json(
                    ctx,
                    404,
                    Map.of(
                            "error",
                            "no instance of flow '" + ctx.pathParam("flow") + "' for key '" + ctx.pathParam("key")
                                    + "' (never started, or finished more than a day ago)"));
            return;
        }
        ctx.status(200).contentType("application/json").result(EngineApiClient.toJson(instance.get()));
    }

    private void decision(Context ctx) throws IOException, InterruptedException {
        String id = ctx.pathParam("id");
        Optional<Decision> local = engine().recentDecision(id);
        if (local.isPresent()) {
            ctx.status(200).contentType("application/json").result(EngineApiClient.toJson(local.get()));
            return;
        }
        if (ctx.queryParam("local") == null) {
            // the deciding instance is the owner of the event's subject, unknown here: ask each other instance
            for (HostInfo other : engine().instances()) {
                if (!other.equals(self)) {
                    HttpResponse<String> answer = ask(other, "/api/decisions/" + EngineApiClient.encode(id));
                    if (answer != null && answer.statusCode() == 200) {
                        relay(ctx, answer);
                        return;
                    }
                }
            }
        }
        json(
                ctx,
                404,
                Map.of(
                        "error",
                        "no recent decision for event '" + id
                                + "' on the engine; 'reflex explain' reads older ones from the topic"));
    }

    private HttpResponse<String> ask(HostInfo host, String path) throws InterruptedException {
        return instances.ask(host, path);
    }

    private static void relay(Context ctx, HttpResponse<String> answer) {
        if (answer == null) {
            json(ctx, 503, Map.of("error", "the engine instance that owns this key did not answer; retry shortly"));
        } else {
            ctx.status(answer.statusCode()).contentType("application/json").result(answer.body());
        }
    }

    private static void json(Context ctx, int status, Object body) {
        ctx.status(status).json(body);
    }

    @Override
    public void close() {
        timelineApi.close();
        app.stop();
    }
}
