package dev.reflex.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.reflex.connectors.webhook.WebhookConfig;
import dev.reflex.connectors.webhook.WebhookConnector;
import dev.reflex.embedded.EmbeddedKafka;

/**
 * End-to-end: events accepted per second by the webhook connector over HTTP on loopback, each answered 202 only after
 * Kafka acknowledged it with acks=all, and the latency of those answers. A real broker runs in this JVM.
 *
 * <p>Usage: {@code bench/run-webhook [EVENTS] [CONCURRENCY]} (defaults 20000 and 16).
 */
public final class WebhookThroughput {
    private WebhookThroughput() {}

    public static void main(String[] args) throws Exception {
        int events = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int concurrency = args.length > 1 ? Integer.parseInt(args[1]) : 16;
        Path data = Files.createTempDirectory("reflex-bench-kafka");
        try (EmbeddedKafka kafka = EmbeddedKafka.start(data, 0, 0, Duration.ofSeconds(60));
                WebhookConnector connector = WebhookConnector.start(new WebhookConfig(Map.of(
                        WebhookConfig.BOOTSTRAP_SERVERS_CONFIG,
                        kafka.bootstrapServers(),
                        WebhookConfig.HTTP_PORT_CONFIG,
                        0)))) {
            HttpClient http =
                    HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            URI uri = URI.create("http://127.0.0.1:" + connector.port() + "/events/bench");
            String body =
                    "{\"type\":\"cpu.high\",\"subject\":\"web-%d\",\"cpu\":97,\"pad\":\"" + "x".repeat(400) + "\"}";
            // warm-up: the topic is created and the JIT settles
            run(http, uri, body, Math.min(2_000, events), concurrency);
            long[] latencies = new long[events];
            long started = System.nanoTime();
            int failures = run(http, uri, body, events, concurrency, latencies);
            double seconds = (System.nanoTime() - started) / 1e9;
            Arrays.sort(latencies);
            System.out.printf(
                    "%n| events | concurrency | accepted/s | p50 ms | p99 ms | p99.9 ms | max ms | non-2xx |%n");
            System.out.printf("|---|---|---|---|---|---|---|---|%n");
            System.out.printf(
                    "| %d | %d | %.0f | %.1f | %.1f | %.1f | %.1f | %d |%n",
                    events,
                    concurrency,
                    events / seconds,
                    ms(latencies, 0.50),
                    ms(latencies, 0.99),
                    ms(latencies, 0.999),
                    latencies[latencies.length - 1] / 1e6,
                    failures);
        }
    }

    private static double ms(long[] sorted, double quantile) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(quantile * sorted.length) - 1)] / 1e6;
    }

    private static int run(HttpClient http, URI uri, String body, int events, int concurrency) throws Exception {
        return run(http, uri, body, events, concurrency, new long[events]);
    }

    private static int run(HttpClient http, URI uri, String body, int events, int concurrency, long[] latencies)
            throws Exception {
        AtomicInteger next = new AtomicInteger();
        AtomicInteger failures = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        for (int c = 0; c < concurrency; c++) {
            pool.submit(() -> {
                for (int i; (i = next.getAndIncrement()) < events; ) {
                    HttpRequest request = HttpRequest.newBuilder(uri)
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(String.format(body, i % 100)))
                            .build();
                    long t = System.nanoTime();
                    try {
                        int status = http.send(request, HttpResponse.BodyHandlers.discarding())
                                .statusCode();
                        if (status != 202) {
                            failures.incrementAndGet();
                        }
                    } catch (Exception e) {
                        failures.incrementAndGet();
                    }
                    latencies[i] = System.nanoTime() - t;
                }
                return null;
            });
        }
        pool.shutdown();
        pool.awaitTermination(30, TimeUnit.MINUTES);
        return failures.get();
    }
}
