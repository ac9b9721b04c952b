package dev.reflex.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpServer;

/**
 * The system actors work on, on loopback: answers 200 after {@code delayMs} (or as an {@link Answer} says) and counts
 * calls per Idempotency-Key and per path.
 */
final class StubService implements AutoCloseable {
    /** The status and delay for a request to {@code path}, the {@code n}-th to that path (from 1). */
    interface Answer {
        int[] statusAndDelay(String path, int n);
    }

    private final HttpServer server;
    final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    final Map<String, AtomicInteger> paths = new ConcurrentHashMap<>();

    StubService(long delayMs) throws IOException {
        this((path, n) -> new int[] {200, (int) delayMs});
    }

    StubService(Answer answer) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            String key = exchange.getRequestHeaders().getFirst("Idempotency-Key");
            if (key != null) {
                calls.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
            }
            String path = exchange.getRequestURI().getPath();
            int[] reply = answer.statusAndDelay(
                    path, paths.computeIfAbsent(path, k -> new AtomicInteger()).incrementAndGet());
            try {
                Thread.sleep(reply[1]);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.sendResponseHeaders(reply[0], -1);
            exchange.close();
        });
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        ((ExecutorService) server.getExecutor()).shutdownNow();
    }
}
