package dev.reflex.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import dev.reflex.embedded.Ports;
import dev.reflex.schemas.TopicNames;

/**
 * Hostile HTTP against a webhook connector running in its own JVM with a 96 MB heap: oversized bodies (declared and
 * chunked, larger than the heap), slow clients holding connections, wrong content types, bad signatures and a burst
 * of valid events. Every hostile request must get a clear 4xx, the connector must stay up and serve valid requests
 * meanwhile, and every event answered 202 must be on the ingest topic.
 */
final class HostileHttpRun {
    private static final String SECRET = "hostile-run-secret";

    record Report(
            Map<String, String> answers, int burst, int accepted, int onTopic, long heapUsedMb, List<String> problems)
            implements FaultReport {
        @Override
        public String toString() {
            return String.format(
                    "hostile HTTP: %s; burst of %,d valid events: %,d accepted, %,d on the ingest topic; heap after the run %d MB of 96: %s",
                    answers,
                    burst,
                    accepted,
                    onTopic,
                    heapUsedMb,
                    ok()
                            ? "no loss, connector up throughout"
                            : problems.size() + " problems: " + problems.subList(0, Math.min(10, problems.size())));
        }
    }

    static Report run(FaultCluster cluster, int burst, int slowClients, int tricklingClients) throws Exception {
        TopicNames names = new TopicNames("h" + UUID.randomUUID().toString().substring(0, 6) + ".");
        int port = Ports.freePort();
        Child connector = new Child(
                        "webhook",
                        cluster.dir.resolve(names.prefix() + "webhook.log"),
                        List.of(
                                "connect",
                                "webhook",
                                "--bootstrap-servers",
                                cluster.bootstrap(),
                                "--topic-prefix",
                                names.prefix(),
                                "--http-port",
                                String.valueOf(port),
                                "--set",
                                "webhook.hmac.signed.secret=" + SECRET))
                .heap("96m")
                .start();
        List<String> problems = new ArrayList<>();
        Map<String, String> answers = new TreeMap<>();
        HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
        String base = "http://127.0.0.1:" + port;
        try {
            awaitHealthy(http, base);
            // wrong content types, bad and missing signatures, not JSON
            expect(
                    http,
                    answers,
                    problems,
                    "text/plain",
                    post(base + "/events/plain", "text/plain", "hello", Map.of()),
                    415);
            expect(
                    http,
                    answers,
                    problems,
                    "application/xml",
                    post(base + "/events/plain", "application/xml", "<a/>", Map.of()),
                    415);
            expect(
                    http,
                    answers,
                    problems,
                    "invalid JSON",
                    post(base + "/events/plain", "application/json", "{\"type\":", Map.of()),
                    400);
            expect(
                    http,
                    answers,
                    problems,
                    "wrong signature",
                    post(
                            base + "/events/signed",
                            "application/json",
                            "{\"type\":\"t\"}",
                            Map.of("X-Signature-256", "sha256=" + "0".repeat(64))),
                    401);
            expect(
                    http,
                    answers,
                    problems,
                    "missing signature",
                    post(base + "/events/signed", "application/json", "{\"type\":\"t\"}", Map.of()),
                    401);
            expect(
                    http,
                    answers,
                    problems,
                    "right signature",
                    post(
                            base + "/events/signed",
                            "application/json",
                            "{\"type\":\"t\"}",
                            Map.of("X-Signature-256", "sha256=" + hmac("{\"type\":\"t\"}"))),
                    202);
            // oversized: declared lengths, then chunked bodies larger than the connector's whole heap, four at a time
            expect(
                    http,
                    answers,
                    problems,
                    "2 MB declared",
                    post(base + "/events/big", "application/json", "x".repeat(2 * 1024 * 1024), Map.of()),
                    413);
            ExecutorService pool = Executors.newFixedThreadPool(64);
            List<Future<Integer>> big = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                big.add(pool.submit(() -> chunked(port, 200L * 1024 * 1024)));
            }
            for (Future<Integer> f : big) {
                int status = f.get(2, TimeUnit.MINUTES);
                answers.merge("200 MB chunked", String.valueOf(status), (a, b) -> a.equals(b) ? a : a + "," + b);
                if (status != 413 && status != -1) {
                    problems.add("a 200 MB chunked body got " + status + ", expected 413 or the connection closed");
                }
            }
            // slow clients: connections that send a few header bytes and then nothing; a valid request must still be
            // served
            List<Socket> slow = new ArrayList<>();
            for (int i = 0; i < slowClients; i++) {
                Socket socket = new Socket();
                socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
                socket.getOutputStream()
                        .write(
                                ("POST /events/slow HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"ty")
                                        .getBytes(StandardCharsets.US_ASCII));
                socket.getOutputStream().flush();
                slow.add(socket);
            }
            expect(
                    http,
                    answers,
                    problems,
                    "valid while " + slowClients + " clients stall",
                    post(
                            base + "/events/during-slow",
                            "application/json",
                            "{\"id\":\"during-slow\",\"type\":\"t\"}",
                            Map.of()),
                    202);
            trickle(http, base, port, tricklingClients, answers, problems);
            // a burst of valid events from 64 clients at once, while the slow ones still hold their connections
            Set<String> accepted = ConcurrentHashMap.newKeySet();
            AtomicInteger refused = new AtomicInteger();
            List<Future<?>> sends = new ArrayList<>();
            for (int i = 0; i < burst; i++) {
                String id = "burst-" + i;
                sends.add(pool.submit(() -> {
                    try {
                        int status = http.send(
                                        post(
                                                base + "/events/burst",
                                                "application/json",
                                                "{\"id\":\"" + id + "\",\"type\":\"t\",\"subject\":\"s-"
                                                        + id.hashCode() % 10 + "\"}",
                                                Map.of()),
                                        HttpResponse.BodyHandlers.discarding())
                                .statusCode();
                        if (status == 202) {
                            accepted.add(id);
                        } else {
                            refused.incrementAndGet();
                        }
                    } catch (Exception e) {
                        refused.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> f : sends) {
                f.get(5, TimeUnit.MINUTES);
            }
            pool.shutdown();
            for (Socket socket : slow) {
                socket.close();
            }
            if (!connector.isAlive()) {
                problems.add("the connector died (log: " + cluster.dir.resolve(names.prefix() + "webhook.log") + ")");
                return new Report(answers, burst, accepted.size(), 0, -1, problems);
            }
            expect(
                    http,
                    answers,
                    problems,
                    "health afterwards",
                    HttpRequest.newBuilder(URI.create(base + "/health"))
                            .timeout(Duration.ofSeconds(10))
                            .GET()
                            .build(),
                    200);
            long heapMb = heapUsedMb(http, base);
            Set<String> onTopic = new HashSet<>();
            TopicReader.readCommitted(cluster.bootstrap(), names.ingest("burst"), new ByteArrayDeserializer())
                    .forEach(r -> {
                        Matcher m = Pattern.compile("\"id\":\"(burst-[0-9]+)\"")
                                .matcher(new String(r.value(), StandardCharsets.UTF_8));
                        if (m.find()) {
                            onTopic.add(m.group(1));
                        }
                    });
            for (String id : accepted) {
                if (!onTopic.contains(id)) {
                    problems.add("accepted event " + id + " is not on the ingest topic");
                }
            }
            if (accepted.size() + refused.get() != burst) {
                problems.add("burst answers do not add up");
            }
            return new Report(answers, burst, accepted.size(), onTopic.size(), heapMb, problems);
        } finally {
            connector.stop();
        }
    }

    private static HttpRequest post(String url, String contentType, String body, Map<String, String> headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(b::header);
        return b.build();
    }

    private static void expect(
            HttpClient http,
            Map<String, String> answers,
            List<String> problems,
            String what,
            HttpRequest request,
            int expected)
            throws Exception {
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        answers.put(what, String.valueOf(response.statusCode()));
        if (response.statusCode() != expected) {
            problems.add(what + ": " + response.statusCode() + " " + response.body() + ", expected " + expected);
        } else if (expected >= 400 && response.body().isBlank()) {
            problems.add(what + ": " + expected + " without a reason");
        }
    }

    /** Streams {@code size} bytes as a chunked body; returns the status, or -1 when the connector closed the connection first. */
    /**
     * Clients that send a body one byte a second: each must be disconnected (webhook.read.timeout.ms, the minimum body
     * rate) and a valid request must be served while they try.
     */
    private static void trickle(
            HttpClient http, String base, int port, int clients, Map<String, String> answers, List<String> problems)
            throws Exception {
        List<Socket> sockets = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            Socket socket = new Socket();
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            socket.getOutputStream()
                    .write(("POST /events/trickle HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                    + "Content-Length: 1000\r\n\r\n{")
                            .getBytes(StandardCharsets.US_ASCII));
            sockets.add(socket);
        }
        ScheduledExecutorService ticks = Executors.newSingleThreadScheduledExecutor();
        ticks.scheduleAtFixedRate(
                () -> {
                    for (Socket socket : sockets) {
                        try {
                            socket.getOutputStream().write(' ');
                        } catch (IOException e) {
                            // disconnected by the connector
                        }
                    }
                },
                1,
                1,
                TimeUnit.SECONDS);
        try {
            long started = System.nanoTime();
            expect(
                    http,
                    answers,
                    problems,
                    "valid while " + clients + " clients trickle a byte a second",
                    post(
                            base + "/events/during-trickle",
                            "application/json",
                            "{\"id\":\"during-trickle\",\"type\":\"t\"}",
                            Map.of()),
                    202);
            answers.put(
                    "valid request answered while trickling (ms)",
                    String.valueOf((System.nanoTime() - started) / 1_000_000));
            Thread.sleep(12_000);
        } finally {
            ticks.shutdownNow();
        }
        int open = 0;
        for (Socket socket : sockets) {
            try {
                socket.setSoTimeout(50);
                while (socket.getInputStream().read() >= 0) {
                    // the 408, if it came, then the end
                }
            } catch (SocketTimeoutException e) {
                open++;
            } catch (IOException e) {
                // reset: disconnected
            } finally {
                socket.close();
            }
        }
        answers.put("trickling clients still connected after 12 s", String.valueOf(open));
        if (open > 0) {
            problems.add(open + " of " + clients + " trickling clients were still connected after 12 s");
        }
    }

    private static int chunked(int port, long size) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            socket.setSoTimeout(60_000);
            OutputStream out = socket.getOutputStream();
            out.write(
                    ("POST /events/big HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = new byte[64 * 1024];
            Arrays.fill(chunk, (byte) ' ');
            byte[] head = (Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
            try {
                for (long sent = 0; sent < size; sent += chunk.length) {
                    out.write(head);
                    out.write(chunk);
                    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                }
                out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            } catch (IOException closed) {
                // the connector stopped reading and closed: what we want; read its answer if it sent one
            }
            InputStream in = socket.getInputStream();
            byte[] status = new byte[12];
            int n = in.readNBytes(status, 0, 12);
            return n == 12 ? Integer.parseInt(new String(status, 9, 3, StandardCharsets.US_ASCII)) : -1;
        } catch (IOException e) {
            return -1;
        }
    }

    private static long heapUsedMb(HttpClient http, String base) throws Exception {
        String metrics = http.send(
                        HttpRequest.newBuilder(URI.create(base + "/metrics"))
                                .GET()
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
        double used = 0;
        Matcher m = Pattern.compile("(?m)^jvm_memory_used_bytes\\{area=\"heap\"[^}]*} ([0-9.eE+]+)")
                .matcher(metrics);
        while (m.find()) {
            used += Double.parseDouble(m.group(1));
        }
        return (long) (used / 1024 / 1024);
    }

    private static void awaitHealthy(HttpClient http, String base) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            try {
                if (http.send(
                                        HttpRequest.newBuilder(URI.create(base + "/health"))
                                                .GET()
                                                .build(),
                                        HttpResponse.BodyHandlers.discarding())
                                .statusCode()
                        == 200) {
                    return;
                }
            } catch (IOException notYet) {
                Thread.sleep(200);
            }
        }
        throw new IllegalStateException("the webhook connector did not come up within 60 s");
    }

    private static String hmac(String body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
    }
}
