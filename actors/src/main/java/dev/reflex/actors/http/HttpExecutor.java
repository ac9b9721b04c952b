package dev.reflex.actors.http;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongConsumer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.reflex.actors.Execution;
import dev.reflex.actors.Executor;
import dev.reflex.schemas.Action;

/**
 * Calls an HTTP endpoint for an action. Params: {@code url} (required, http or https, or a path under
 * {@code http.base.url}), {@code method} (default POST),
 * {@code body} (default: the action as JSON), {@code header.<Name>} for headers, {@code credential} naming a configured
 * credential. Every request carries {@code Idempotency-Key: <action id>}. 2xx succeeds; 5xx, 408, 429 and I/O errors
 * are retried with exponential backoff and full jitter until the attempts or the deadline run out; other 4xx fail at
 * once.
 */
public final class HttpExecutor implements Executor {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "PATCH", "DELETE");
    private static final Set<String> RESERVED_HEADERS =
            Set.of("host", "content-length", "connection", "idempotency-key", "expect", "upgrade");

    private final HttpActorConfig config;
    private final HttpClient http;
    private final LongConsumer sleeper;

    public HttpExecutor(HttpActorConfig config) {
        this(config, millis -> {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    HttpExecutor(HttpActorConfig config, LongConsumer sleeper) {
        this.config = config;
        this.sleeper = sleeper;
        this.http = HttpClient.newBuilder()
                .connectTimeout(Duration.ofMillis(config.getLong(HttpActorConfig.TIMEOUT_MS_CONFIG)))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /**
     * 32: calls wait on the network, not on this process, so many can be in flight from one actor; one target still
     * gets one call at a time, and the system's own limits belong in the systems catalog.
     */
    @Override
    public int concurrency() {
        return 32;
    }

    @Override
    public Execution execute(Action action) {
        Map<String, String> params = action.getParams();
        String url = params.get("url");
        String base = config.getString(HttpActorConfig.BASE_URL_CONFIG);
        if (url != null && url.startsWith("/") && !base.isEmpty()) {
            url = (base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + url;
        }
        if (url == null || !(url.startsWith("http://") || url.startsWith("https://"))) {
            return Execution.failed(0, null, null, null, "the action needs a 'url' param with an http or https URL");
        }
        String method = params.getOrDefault("method", "POST").toUpperCase(Locale.ROOT);
        if (!METHODS.contains(method)) {
            return Execution.failed(0, null, null, null, "unsupported method '" + method + "'");
        }
        HttpRequest.Builder request;
        try {
            request = HttpRequest.newBuilder(URI.create(url))
                    .timeout(Duration.ofMillis(config.getLong(HttpActorConfig.TIMEOUT_MS_CONFIG)));
        } catch (IllegalArgumentException e) {
            return Execution.failed(0, null, null, null, "invalid url: " + e.getMessage());
        }
        request.header("Idempotency-Key", action.getId()).header("Content-Type", "application/json");
        for (Map.Entry<String, String> p : new TreeMap<>(params).entrySet()) {
            if (p.getKey().startsWith("header.")) {
                String name = p.getKey().substring("header.".length());
                if (RESERVED_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
                    return Execution.failed(0, null, null, null, "header '" + name + "' cannot be set by an action");
                }
                request.setHeader(name, p.getValue());
            }
        }
        String credentialName = params.get("credential");
        if (credentialName != null) {
            HttpActorConfig.Credential credential = config.credential(credentialName);
            if (credential == null) {
                return Execution.failed(
                        0, null, null, null, "no credential named '" + credentialName + "' is configured");
            }
            if (!url.startsWith(credential.urlPrefix())) {
                return Execution.failed(
                        0,
                        null,
                        null,
                        null,
                        "credential '" + credentialName + "' may only be sent to " + credential.urlPrefix());
            }
            request.setHeader(credential.header(), credential.value());
        }
        String body = params.containsKey("body") ? params.get("body") : defaultBody(action);
        request.method(
                method,
                method.equals("GET") || method.equals("DELETE") && !params.containsKey("body")
                        ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        return send(request.build());
    }

    private Execution send(HttpRequest request) {
        int maxAttempts = config.getInt(HttpActorConfig.MAX_ATTEMPTS_CONFIG);
        long deadline = System.nanoTime() + config.getLong(HttpActorConfig.DEADLINE_MS_CONFIG) * 1_000_000;
        long backoff = config.getLong(HttpActorConfig.BACKOFF_INITIAL_MS_CONFIG);
        long maxBackoff = config.getLong(HttpActorConfig.BACKOFF_MAX_MS_CONFIG);
        Integer status = null;
        String output = null;
        String error = null;
        for (int attempt = 1; ; attempt++) {
            try {
                HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
                status = response.statusCode();
                output = excerpt(response.body());
                if (status >= 200 && status < 300) {
                    return Execution.succeeded(attempt, status, null, output);
                }
                error = "HTTP " + status;
                if (status < 500 && status != 408 && status != 429) {
                    return Execution.failed(attempt, status, null, output, error + " (not retried)");
                }
            } catch (IOException e) {
                status = null;
                output = null;
                error = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Execution.failed(attempt, status, null, output, "interrupted");
            }
            long wait = ThreadLocalRandom.current().nextLong(backoff + 1);
            if (attempt >= maxAttempts) {
                return Execution.failed(attempt, status, null, output, error + " after " + attempt + " attempts");
            }
            if (System.nanoTime() + wait * 1_000_000 >= deadline) {
                return Execution.failed(
                        attempt,
                        status,
                        null,
                        output,
                        error + "; deadline of " + config.getLong(HttpActorConfig.DEADLINE_MS_CONFIG)
                                + " ms reached after " + attempt + " attempts");
            }
            sleeper.accept(wait);
            backoff = Math.min(maxBackoff, backoff * 2);
        }
    }

    private String excerpt(InputStream body) throws IOException {
        int max = config.getInt(HttpActorConfig.OUTPUT_MAX_BYTES_CONFIG);
        try (InputStream in = body) {
            byte[] bytes = in.readNBytes(max);
            boolean more = in.read() >= 0;
            String text = new String(bytes, StandardCharsets.UTF_8);
            return more ? text + "..." : text;
        }
    }

    private static String defaultBody(Action action) {
        ObjectNode body = JSON.createObjectNode()
                .put("id", action.getId())
                .put("system", action.getSystem())
                .put("action", action.getAction())
                .put("target", action.getTarget())
                .put("eventId", action.getEventId())
                .put("ruleId", action.getRuleId());
        ObjectNode params = body.putObject("params");
        new TreeMap<>(action.getParams()).forEach((k, v) -> {
            if (!k.equals("url") && !k.equals("method") && !k.equals("credential") && !k.startsWith("header.")) {
                params.put(k, v);
            }
        });
        return body.toString();
    }
}
