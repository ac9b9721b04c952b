package dev.reflex.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;

/**
 * The system actors work on, on loopback: answers 200 after {@code delayMs} (or as an {@link Answer} says), counts
 * calls per Idempotency-Key and per path, and records the most calls it served at once, overall and for one target
 * (the {@code target} of the HTTP actor's default JSON body).
 */
final class StubService implements AutoCloseable {
    /** The status and delay for a request to {@code path}, the {@code n}-th to that path (from 1). */
    interface Answer {
        int[] statusAndDelay(String path, int n);
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    final Map<String, AtomicInteger> paths = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> inFlightPerTarget = new ConcurrentHashMap<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger mostAtOnce = new AtomicInteger();
    private final AtomicInteger mostAtOnceForOneTarget = new AtomicInteger();
    /** When each target's calls came in (wall clock, ms), in the order they came. */
    final Map<String, List<Long>> startsPerTarget = new ConcurrentHashMap<>();
    /** When the last call was answered (wall clock, ms; 0 before any). */
    final AtomicLong lastAnswered = new AtomicLong();

    StubService(long delayMs) throws IOException {
        this((path, n) -> new int[] {200, (int) delayMs});
    }

    StubService(Answer answer) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newFixedThreadPool(64));
        server.createContext("/", exchange -> {
            String target = target(exchange.getRequestBody().readAllBytes());
            mostAtOnce.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            AtomicInteger ofTarget =
                    target == null ? null : inFlightPerTarget.computeIfAbsent(target, t -> new AtomicInteger());
            if (ofTarget != null) {
                mostAtOnceForOneTarget.accumulateAndGet(ofTarget.incrementAndGet(), Math::max);
                startsPerTarget
                        .computeIfAbsent(target, t -> Collections.synchronizedList(new ArrayList<>()))
                        .add(System.currentTimeMillis());
            }
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
            if (ofTarget != null) {
                ofTarget.decrementAndGet();
            }
            inFlight.decrementAndGet();
            exchange.sendResponseHeaders(reply[0], -1);
            exchange.close();
            lastAnswered.accumulateAndGet(System.currentTimeMillis(), Math::max);
        });
        server.start();
    }

    private static String target(byte[] body) {
        try {
            JsonNode target = JSON.readTree(body).get("target");
            return target == null || target.isNull() ? null : target.asText();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The most calls served at once. */
    int mostAtOnce() {
        return mostAtOnce.get();
    }

    /** The most calls for one target served at once. */
    int mostAtOnceForOneTarget() {
        return mostAtOnceForOneTarget.get();
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
