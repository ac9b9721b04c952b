package dev.reflex.audit.replay;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.function.Function;

import dev.reflex.audit.history.PairHandler;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.Event;

/**
 * Re-evaluates recorded events on every core while one thread reads the topics: events are handed over in chunks,
 * each event numbered in reading order, and each result is merged (one at a time, in any order) with its number, so
 * what a report prints first does not depend on which core was faster.
 */
public final class ParallelReplay<R> implements PairHandler, AutoCloseable {
    private static final int CHUNK = 512;

    /** What a worker computes for one event, and how a result is merged. */
    public interface Merge<R> {
        void accept(long sequence, R result);
    }

    private record Item(long sequence, Event event, long time, Decision decision) {}

    private final Function<Item, R> work;
    private final Merge<R> merge;
    private final ExecutorService pool;
    private final Semaphore inFlight;
    private final List<Future<?>> pending = new ArrayList<>();
    private List<Item> chunk = new ArrayList<>(CHUNK);
    private long sequence;

    /** {@code work} must be safe to run on several threads; {@code merge} is called by one thread at a time. */
    public interface Work<R> {
        R apply(Event event, long time, Decision decision);
    }

    public ParallelReplay(int threads, Work<R> work, Merge<R> merge) {
        this.work = item -> work.apply(item.event(), item.time(), item.decision());
        this.merge = merge;
        this.pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "replay-worker");
            t.setDaemon(true);
            return t;
        });
        this.inFlight = new Semaphore(threads * 2);
    }

    public static int threads() {
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    @Override
    public void accept(Event event, long time, Decision decision) {
        chunk.add(new Item(sequence++, event, time, decision));
        if (chunk.size() == CHUNK) {
            submit();
        }
    }

    private void submit() {
        List<Item> items = chunk;
        chunk = new ArrayList<>(CHUNK);
        try {
            inFlight.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        pending.removeIf(Future::isDone);
        pending.add(pool.submit(() -> {
            try {
                List<R> results = new ArrayList<>(items.size());
                for (Item item : items) {
                    results.add(work.apply(item));
                }
                synchronized (merge) {
                    for (int i = 0; i < items.size(); i++) {
                        merge.accept(items.get(i).sequence(), results.get(i));
                    }
                }
            } finally {
                inFlight.release();
            }
            return null;
        }));
    }

    /** Waits until every event handed over is merged; rethrows a worker's failure. */
    public void finish() throws Exception {
        if (!chunk.isEmpty()) {
            submit();
        }
        for (Future<?> f : pending) {
            try {
                f.get();
            } catch (ExecutionException e) {
                throw e.getCause() instanceof Exception cause ? cause : e;
            }
        }
        pending.clear();
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
