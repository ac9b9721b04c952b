package dev.reflex.dev;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.sun.net.httpserver.HttpServer;

/**
 * The stand-in for a service manager that reflex dev's HTTP actor talks to: {@code POST /services/{name}/restart}
 * answers 200 and prints what it did, so the whole loop (alert, rule, HTTP call, result event, follow-up rule) runs on
 * one machine. Real deployments point the HTTP actor's http.base.url at the real thing.
 */
final class DemoService implements AutoCloseable {
    private static final Pattern RESTART = Pattern.compile("/services/([A-Za-z0-9._-]{1,100})/restart");

    private final HttpServer server;

    private DemoService(HttpServer server) {
        this.server = server;
    }

    static DemoService start(PrintStream out) throws IOException {
        return start(out, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    /** Listens on {@code address}: {@code reflex demo-service} runs it on its own, as the compose file's stand-in service. */
    static DemoService start(PrintStream out, InetSocketAddress address) throws IOException {
        HttpServer server = HttpServer.create(address, 0);
        server.createContext("/services/", exchange -> {
            Matcher m = RESTART.matcher(exchange.getRequestURI().getPath());
            exchange.getRequestBody().readAllBytes();
            boolean ok = m.matches() && exchange.getRequestMethod().equals("POST");
            if (ok) {
                out.println("[service-manager] restarted " + m.group(1) + " (Idempotency-Key "
                        + exchange.getRequestHeaders().getFirst("Idempotency-Key") + ")");
                out.flush();
            }
            byte[] answer = (ok ? "{\"restarted\":\"" + m.group(1) + "\"}" : "{\"error\":\"not found\"}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(ok ? 200 : 404, answer.length);
            try (OutputStream body = exchange.getResponseBody()) {
                body.write(answer);
            }
        });
        server.start();
        return new DemoService(server);
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
