package dev.reflex.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The cluster fault run's steady load, posted to the webhook connector one request at a time: a {@code tick} every
 * {@code period} (the even ones act, every one counts), and every tenth tick a scenario: {@code alert.firing} (an
 * {@code unless} deadline) and {@code deploy.started} (a flow waiting for {@code service.healthy}), which for even
 * scenarios are answered two seconds later. Remembers what the connector answered for each event and when.
 */
final class ClusterLoad implements AutoCloseable {
    static final int SUBJECTS = 20;
    private static final long ANSWER_AFTER_MS = 2_000;

    /** One event posted: its id, type and subject; the status the connector answered (0: no answer) and when, in epoch ms. */
    record Posted(String id, String type, String subject, int n, int status, long answeredAt) {
        boolean acked() {
            return status == 202;
        }

        /** Whether the event may be on Kafka: acknowledged, or the answer never came (it may have been written). */
        boolean mayBeOnKafka() {
            return status == 202 || status == 0;
        }
    }

    private record Pending(long due, String id, String type, String subject) {}

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final URI uri;
    private final long periodMs;
    private final Map<String, Posted> posted = new ConcurrentHashMap<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;

    ClusterLoad(String webhookUrl, Duration period) {
        this.uri = URI.create(webhookUrl + "/events/load");
        this.periodMs = period.toMillis();
        this.thread = new Thread(this::post, "cluster-load");
        thread.start();
    }

    private void post() {
        Deque<Pending> answers = new ArrayDeque<>();
        long next = System.currentTimeMillis();
        for (int i = 0; running.get(); i++) {
            String subject = "s-" + (i % SUBJECTS);
            send("t-" + i, "tick", subject, i);
            if (i % 10 == 0) {
                int j = i / 10;
                boolean firing = send("u-" + j, "alert.firing", "u-" + j, j);
                boolean started = send("f-" + j, "deploy.started", "f-" + j, j);
                long due = System.currentTimeMillis() + ANSWER_AFTER_MS;
                if (j % 2 == 0 && firing) {
                    answers.add(new Pending(due, "resolved-u-" + j, "alert.resolved", "u-" + j));
                }
                if (j % 2 == 0 && started) {
                    answers.add(new Pending(due, "healthy-f-" + j, "service.healthy", "f-" + j));
                }
            }
            while (!answers.isEmpty() && answers.peek().due() <= System.currentTimeMillis()) {
                Pending answer = answers.poll();
                send(answer.id(), answer.type(), answer.subject(), -1);
            }
            next += periodMs;
            long wait = next - System.currentTimeMillis();
            if (wait > 0) {
                sleep(wait);
            } else {
                next = System.currentTimeMillis();
            }
        }
    }

    /** Posts one event; returns whether it may be on Kafka (a trigger refused for sure is not answered). */
    private boolean send(String id, String type, String subject, int n) {
        String body =
                "{\"id\":\"" + id + "\",\"type\":\"" + type + "\",\"subject\":\"" + subject + "\",\"n\":" + n + "}";
        HttpRequest request = HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        int status;
        try {
            status = http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            status = 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            status = 0;
        }
        Posted p = new Posted(id, type, subject, n, status, System.currentTimeMillis());
        posted.put(id, p);
        if (status == 503) {
            // the connector cannot reach Kafka: it says when to try again; the load goes on with new events
            sleep(200);
        }
        return p.mayBeOnKafka();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    Collection<Posted> posted() {
        return List.copyOf(posted.values());
    }

    int count() {
        return posted.size();
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        thread.join();
    }
}
