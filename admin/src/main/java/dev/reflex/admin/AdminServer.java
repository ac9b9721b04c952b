package dev.reflex.admin;

import java.net.BindException;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import io.javalin.Javalin;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * {@code GET /health} (200 while healthy, 503 otherwise) and {@code GET /metrics} (Prometheus text) of a connector or
 * actor process, on Javalin like every other HTTP endpoint of Reflex. The engine serves the same two routes on its API
 * server with {@link #metricsRoute}.
 */
public final class AdminServer implements AutoCloseable {
    /** The content type of the Prometheus text format. */
    public static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    /** The port asked for is taken; the message says which and what to do. */
    public static final class PortInUseException extends RuntimeException {
        public PortInUseException(String message) {
            super(message);
        }
    }

    private final Javalin app;

    private AdminServer(Javalin app) {
        this.app = app;
    }

    /**
     * Listens on {@code host}:{@code port} (0 for any free port).
     *
     * @param setting what the user sets to choose another port, named in the error when the port is taken
     */
    public static AdminServer start(
            String host, int port, String setting, PrometheusMeterRegistry metrics, BooleanSupplier healthy) {
        Javalin app = Javalin.create(cfg -> cfg.showJavalinBanner = false);
        healthRoute(app, () -> healthy.getAsBoolean() ? Optional.empty() : Optional.of("not running"));
        metricsRoute(app, metrics);
        start(app, host, port, setting);
        return new AdminServer(app);
    }

    /**
     * Adds {@code GET /health} to {@code app}: 200 {@code {"status":"UP"}} when {@code problem} gives none, else 503
     * {@code {"status":"DOWN","reason":...}}.
     */
    public static void healthRoute(Javalin app, Supplier<Optional<String>> problem) {
        app.get("/health", ctx -> {
            Optional<String> reason = problem.get();
            ctx.status(reason.isEmpty() ? 200 : 503)
                    .contentType("application/json")
                    .result(
                            reason.isEmpty()
                                    ? "{\"status\":\"UP\"}"
                                    : "{\"status\":\"DOWN\",\"reason\":" + quoted(reason.get()) + "}");
        });
    }

    /** A JSON string: this module has no JSON library, and a reason is one line of text. */
    static String quoted(String text) {
        StringBuilder json = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> json.append("\\\"");
                case '\\' -> json.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        json.append(String.format("\\u%04x", (int) c));
                    } else {
                        json.append(c);
                    }
                }
            }
        }
        return json.append('"').toString();
    }

    /** Adds {@code GET /metrics} with {@code metrics} in the Prometheus text format to {@code app}. */
    public static void metricsRoute(Javalin app, PrometheusMeterRegistry metrics) {
        app.get("/metrics", ctx -> ctx.contentType(PROMETHEUS_TEXT).result(metrics.scrape()));
    }

    /** Starts {@code app}; a port in use is a {@link PortInUseException} naming {@code setting}. */
    public static void start(Javalin app, String host, int port, String setting) {
        try {
            app.start(host, port);
        } catch (RuntimeException e) {
            app.stop();
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof BindException) {
                    throw new PortInUseException("port " + port + " on " + host + " is in use; set " + setting
                            + " to a free port, or 0 for any");
                }
            }
            throw e;
        }
    }

    public int port() {
        return app.port();
    }

    @Override
    public void close() {
        app.stop();
    }
}
