package dev.reflex.connectors.webhook;

import java.util.List;
import java.util.concurrent.CompletionException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.node.ObjectNode;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import dev.reflex.admin.AdminServer;
import dev.reflex.admin.BearerTokens;
import dev.reflex.schemas.TopicNames;

/**
 * The webhook connector: an HTTP server whose {@link WebhookSource}s turn requests into events on
 * {@code reflex.ingest.<source>}. The answer is 202 only after Kafka acknowledged every record of the request
 * ({@code acks=all}, idempotent producer), so a 202 means the events are durable; 503 with {@code Retry-After} when
 * Kafka is unavailable. Bodies are read within limits of size, time and rate; {@code /health} and {@code /metrics} are
 * {@link AdminServer}'s.
 */
public final class WebhookConnector implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WebhookConnector.class);

    private final WebhookConfig config;
    private final TopicNames names;
    private final IngestPublisher publisher;
    private final Javalin app;
    private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final RequestBodies bodies;

    private WebhookConnector(WebhookConfig config) {
        this.config = config;
        this.names = config.topicNames();
        this.publisher = new IngestPublisher(config, metrics);
        new JvmMemoryMetrics().bindTo(metrics);
        new JvmThreadMetrics().bindTo(metrics);
        new ProcessorMetrics().bindTo(metrics);
        long readTimeout = config.getLong(WebhookConfig.READ_TIMEOUT_MS_CONFIG);
        this.bodies = new RequestBodies(
                config.getInt(WebhookConfig.MAX_BODY_BYTES_CONFIG),
                readTimeout,
                config.getLong(WebhookConfig.MIN_BODY_RATE_CONFIG));
        this.app = Javalin.create(cfg -> {
            cfg.showJavalinBanner = false;
            cfg.http.maxRequestSize = config.getInt(WebhookConfig.MAX_BODY_BYTES_CONFIG);
            cfg.jetty.modifyHttpConfiguration(http -> http.setIdleTimeout(readTimeout));
        });
        AdminServer.healthRoute(app, publisher::problem);
        AdminServer.metricsRoute(app, metrics);
        app.after(ctx -> {
            if (ctx.method() == HandlerType.POST) {
                metrics.counter(
                                "reflex.webhook.requests",
                                "endpoint",
                                ctx.endpointHandlerPath(),
                                "status",
                                Integer.toString(ctx.statusCode()))
                        .increment();
            }
        });
        for (WebhookSource source : sources(config)) {
            app.post(source.path(), ctx -> receive(ctx, source));
        }
        app.exception(WebhookSource.Refused.class, (e, ctx) -> refuse(ctx, e));
        app.exception(RequestBodies.TooLarge.class, (e, ctx) -> {
            // the rest of the body is not read: close the connection instead of draining it
            ctx.header("Connection", "close");
            reply(ctx, 413, e.getMessage());
        });
        app.exception(RequestBodies.NotReceived.class, (e, ctx) -> {
            LOG.debug("request from {} dropped: {}", ctx.ip(), e.getMessage());
            metrics.counter("reflex.webhook.bodies.dropped").increment();
            ctx.header("Connection", "close");
            reply(ctx, 408, e.getMessage());
        });
        app.exception(Exception.class, (e, ctx) -> {
            LOG.error("unexpected failure handling {} {}", ctx.method(), ctx.path(), e);
            reply(ctx, 500, "internal error; see the connector's log");
        });
    }

    /** The sources this connector serves: where a new push source is added. */
    static List<WebhookSource> sources(WebhookConfig config) {
        return List.of(new GenericSource(config), new AlertmanagerSource(), new GitHubSource(config.githubSecret()));
    }

    /**
     * Starts listening; fails with a one-line message when Kafka is unreachable or the port is taken (an
     * {@link AdminServer.PortInUseException} naming the setting).
     */
    public static WebhookConnector start(WebhookConfig config) {
        WebhookConnector connector = new WebhookConnector(config);
        try {
            connector.publisher.requireReachable();
            AdminServer.start(
                    connector.app,
                    config.getString(WebhookConfig.HTTP_HOST_CONFIG),
                    config.getInt(WebhookConfig.HTTP_PORT_CONFIG),
                    "--http-port (" + WebhookConfig.HTTP_PORT_CONFIG + ")");
        } catch (RuntimeException e) {
            connector.close();
            throw e;
        }
        return connector;
    }

    public int port() {
        return app.port();
    }

    private void receive(Context ctx, WebhookSource source) {
        if (source.bearerToken() && !BearerTokens.admits(config.token(), ctx.header("Authorization"))) {
            ctx.header("WWW-Authenticate", "Bearer");
            reply(ctx, 401, "missing or wrong bearer token");
            return;
        }
        WebhookSource.Publish publish = source.read(new WebhookRequest(ctx, bodies, names));
        if (publish.records().isEmpty()) {
            ctx.status(202)
                    .contentType("application/json")
                    .result(WebhookRequest.JSON
                            .createObjectNode()
                            .put("accepted", 0)
                            .toString());
            return;
        }
        ctx.future(() -> publisher.publish(publish.topic(), publish.records()).handle((last, error) -> {
            if (error == null) {
                ObjectNode answer = WebhookRequest.JSON
                        .createObjectNode()
                        .put("accepted", publish.records().size())
                        .put("topic", last.topic())
                        .put("partition", last.partition())
                        .put("offset", last.offset());
                ctx.status(202).contentType("application/json").result(answer.toString());
            } else if ((error instanceof CompletionException ? error.getCause() : error)
                    instanceof IngestPublisher.NotPublished not) {
                if (not.status != 404) {
                    ctx.header("Retry-After", "5");
                }
                reply(ctx, not.status, not.getMessage());
            } else {
                LOG.error("unexpected failure publishing to {}", publish.topic(), error);
                reply(ctx, 500, "internal error; see the connector's log");
            }
            return null;
        }));
    }

    private static void refuse(Context ctx, WebhookSource.Refused refused) {
        ObjectNode answer = WebhookRequest.JSON.createObjectNode().put("error", refused.getMessage());
        if (!refused.violations().isEmpty()) {
            refused.violations().forEach(answer.putArray("violations")::add);
        }
        ctx.status(refused.status()).contentType("application/json").result(answer.toString());
    }

    private static void reply(Context ctx, int status, String error) {
        ctx.status(status)
                .contentType("application/json")
                .result(WebhookRequest.JSON
                        .createObjectNode()
                        .put("error", error)
                        .toString());
    }

    @Override
    public void close() {
        app.stop();
        publisher.close();
    }
}
