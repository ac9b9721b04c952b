package dev.reflex.engine;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.javalin.http.sse.SseClient;

import dev.reflex.topology.timeline.TimelineEntry;
import dev.reflex.topology.timeline.TimelineReader;

/** The live timeline: server-sent events of new entries for each connected client, from one scheduler thread. */
final class TimelineLiveFeed implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TimelineLiveFeed.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How far before the newest entry sent the feed looks again, for entries recorded a little out of order. */
    private static final long LIVE_SLACK = 30_000L;
    /** Most entries the feed sends at once; past it, the client reloads. */
    private static final int LIVE_BURST = 2_000;
    /** Most entries the feed reads in a second; past it, the client reloads. */
    private static final int LIVE_WINDOW_MAX = 50_000;
    /** How far past now the feed reads (events a source dated ahead of the clock). */
    private static final long AHEAD = 24 * 3_600_000L;

    /** A page of a system's timeline, gathered from every instance. */
    @FunctionalInterface
    interface Pages {
        TimelineReader.Page page(String system, long from, long to, String q, int limit) throws InterruptedException;
    }

    private final Pages pages;
    private final ScheduledExecutorService live = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "timeline-live");
        t.setDaemon(true);
        return t;
    });

    TimelineLiveFeed(Pages pages) {
        this.pages = pages;
    }

    /**
     * Sends each entry of the system's timeline the client does not have yet, once a second, oldest first. The client
     * has what it read up to {@code since} (epoch ms, default now); each second the feed reads the entries from the
     * newest it knows less {@link #LIVE_SLACK} (entries recorded a little out of order still come) and sends those it
     * has not sent. Gathered from every instance like a page. When more than {@link #LIVE_BURST} are new at once it
     * sends a {@code reload} event instead, and the client reads the timeline again.
     */
    void serve(SseClient client, long sinceMs) {
        String system = client.ctx().pathParam("system");
        String q = client.ctx().queryParam("q");
        long[] since = {sinceMs};
        boolean[] first = {true};
        Set<String> sent = new HashSet<>();
        client.keepAlive();
        ScheduledFuture<?>[] task = new ScheduledFuture<?>[1];
        task[0] = live.scheduleWithFixedDelay(
                () -> {
                    if (client.terminated()) {
                        task[0].cancel(false);
                        return;
                    }
                    try {
                        List<TimelineEntry> window =
                                window(system, since[0] - LIVE_SLACK, System.currentTimeMillis() + AHEAD, q);
                        if (first[0]) {
                            window.stream().filter(e -> e.time() <= since[0]).forEach(e -> sent.add(e.id()));
                            first[0] = false;
                        }
                        List<TimelineEntry> fresh = new ArrayList<>(window.stream()
                                .filter(e -> !sent.contains(e.id()))
                                .toList());
                        if (fresh.size() > LIVE_BURST || window.size() > LIVE_WINDOW_MAX) {
                            client.sendEvent("reload", fresh.size() + " new entries");
                            window.forEach(e -> sent.add(e.id()));
                            fresh.clear();
                        }
                        Collections.reverse(fresh);
                        if (send(fresh, sent, to(client)) < fresh.size()) {
                            task[0].cancel(false);
                            return;
                        }
                        window.stream()
                                .mapToLong(TimelineEntry::time)
                                .max()
                                .ifPresent(t -> since[0] = Math.max(since[0], t));
                        Set<String> current = new HashSet<>();
                        window.forEach(e -> current.add(e.id()));
                        sent.retainAll(current);
                        client.sendComment("ok");
                    } catch (InvalidStateStoreException e) {
                        client.sendComment("the timeline is not queryable right now: " + e.getMessage());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } catch (RuntimeException | IOException e) {
                        LOG.warn("live timeline of {} failed: {}", system, e.toString());
                    }
                },
                0,
                1,
                TimeUnit.SECONDS);
        client.onClose(() -> task[0].cancel(false));
    }

    /** Where the feed's entries go: a client that may go away at any time. */
    interface Receiver {
        boolean gone();

        void entry(String json, String id);
    }

    private static Receiver to(SseClient client) {
        return new Receiver() {
            @Override
            public boolean gone() {
                return client.terminated();
            }

            @Override
            public void entry(String json, String id) {
                client.sendEvent("entry", json, id);
            }
        };
    }

    /**
     * Sends {@code entries} in order, each remembered in {@code sent}, until the receiver has gone: a closed tab stops
     * the rest of a burst (up to {@link #LIVE_BURST} entries, each one a warning from the server otherwise). Returns how
     * many were sent.
     */
    static int send(List<TimelineEntry> entries, Set<String> sent, Receiver to) throws IOException {
        int count = 0;
        for (TimelineEntry entry : entries) {
            if (to.gone()) {
                return count;
            }
            sent.add(entry.id());
            to.entry(JSON.writeValueAsString(entry), entry.id());
            count++;
        }
        return count;
    }

    /** Every entry from {@code from} to {@code to}, newest first, read page by page, at most {@link #LIVE_WINDOW_MAX} + 1. */
    private List<TimelineEntry> window(String system, long from, long to, String q) throws InterruptedException {
        List<TimelineEntry> all = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        long upTo = to;
        while (all.size() <= LIVE_WINDOW_MAX) {
            TimelineReader.Page page = pages.page(system, from, upTo, q, TimelineReader.MAX_LIMIT);
            int before = all.size();
            for (TimelineEntry e : page.entries()) {
                if (ids.add(e.id())) {
                    all.add(e);
                }
            }
            if (!page.more() || all.size() == before) {
                return all;
            }
            upTo = all.get(all.size() - 1).time();
        }
        return all;
    }

    @Override
    public void close() {
        live.shutdownNow();
    }
}
