package dev.reflex.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import io.javalin.Javalin;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

class AdminServerTest {
    private static HttpResponse<String> get(int port, String path) throws Exception {
        return HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                                .timeout(Duration.ofSeconds(10))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void healthSaysTheTruthAndMetricsAreScraped() throws Exception {
        AtomicBoolean running = new AtomicBoolean(true);
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        metrics.counter("reflex.test.things").increment(3);
        try (AdminServer server = AdminServer.start("127.0.0.1", 0, "--admin-port", metrics, running::get)) {
            assertThat(get(server.port(), "/health").statusCode()).isEqualTo(200);
            running.set(false);
            HttpResponse<String> down = get(server.port(), "/health");
            assertThat(down.statusCode()).isEqualTo(503);
            assertThat(down.body()).isEqualTo("{\"status\":\"DOWN\",\"reason\":\"not running\"}");
            assertThat(get(server.port(), "/metrics").body()).contains("reflex_test_things_total 3.0");
        }
    }

    @Test
    void aReasonIsAJsonStringWhateverItHolds() throws Exception {
        AtomicReference<Optional<String>> problem = new AtomicReference<>(Optional.of("Kafka said \"no\"\\\n\u0001"));
        Javalin app = Javalin.create(cfg -> cfg.showJavalinBanner = false);
        AdminServer.healthRoute(app, problem::get);
        AdminServer.start(app, "127.0.0.1", 0, "--port");
        try {
            HttpResponse<String> down = get(app.port(), "/health");
            assertThat(down.statusCode()).isEqualTo(503);
            assertThat(down.body())
                    .isEqualTo("{\"status\":\"DOWN\",\"reason\":\"Kafka said \\\"no\\\"\\\\\\u000a\\u0001\"}");
            problem.set(Optional.empty());
            assertThat(get(app.port(), "/health").body()).isEqualTo("{\"status\":\"UP\"}");
        } finally {
            app.stop();
        }
    }
}
