package dev.reflex.connectors.webhook;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.eclipse.jetty.server.Request;

import io.javalin.http.Context;

/**
 * Reads request bodies up to a size limit, within a time limit and at a minimum rate, and no further: a chunked body
 * of any size costs at most the limit in memory, and a client trickling bytes is disconnected instead of holding one
 * of the connector's threads.
 *
 * <p>One watch per request checks, once a second, the time limit and the rate. The rate counts the bytes received so
 * far, after a one-second grace: a small body is never
 * refused because the server itself paused (a collection, a busy core) between its first byte and its last, which a
 * rate measured from the first byte on every read would do.
 */
final class RequestBodies {
    static final long GRACE_MS = 1_000;
    private static final String ATTRIBUTE = "reflex.body";
    private static final ScheduledExecutorService WATCHES = watches();

    private final int maxBytes;
    private final long timeoutMs;
    private final long minBytesPerSecond;

    RequestBodies(int maxBytes, long timeoutMs, long minBytesPerSecond) {
        this.maxBytes = maxBytes;
        this.timeoutMs = timeoutMs;
        this.minBytesPerSecond = minBytesPerSecond;
    }

    /** The request's body, read once per request; throws {@link TooLarge} or {@link NotReceived}. */
    byte[] read(Context ctx) {
        byte[] read = ctx.attribute(ATTRIBUTE);
        if (read != null) {
            return read;
        }
        String limit =
                "the body is larger than " + maxBytes + " bytes (webhook.max.body.bytes); split it or raise the limit";
        if (ctx.req().getContentLengthLong() > maxBytes) {
            throw new TooLarge(limit);
        }
        AtomicLong received = new AtomicLong();
        long start = System.nanoTime();
        // one check a second (or at the timeout, when shorter) for both the rate and the time limit
        long period = Math.min(timeoutMs, GRACE_MS);
        ScheduledFuture<?> watch = WATCHES.scheduleAtFixedRate(
                () -> {
                    long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                    if (elapsedMs >= timeoutMs || tooSlow(received.get(), elapsedMs)) {
                        disconnect(ctx);
                    }
                },
                period,
                period,
                TimeUnit.MILLISECONDS);
        try {
            InputStream in = ctx.req().getInputStream();
            ByteArrayOutputStream body = new ByteArrayOutputStream(
                    (int) Math.max(0, Math.min(ctx.req().getContentLengthLong(), maxBytes)));
            byte[] buffer = new byte[8192];
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                body.write(buffer, 0, n);
                received.addAndGet(n);
                if (body.size() > maxBytes) {
                    throw new TooLarge(limit);
                }
            }
            byte[] bytes = body.toByteArray();
            ctx.attribute(ATTRIBUTE, bytes);
            return bytes;
        } catch (IOException | RuntimeException e) {
            if (e instanceof TooLarge) {
                throw (TooLarge) e;
            }
            throw new NotReceived(
                    "the request body did not arrive within " + timeoutMs + " ms (webhook.read.timeout.ms) or at "
                            + minBytesPerSecond + " bytes/s (webhook.min.body.bytes.per.second): " + e.getMessage());
        } finally {
            watch.cancel(false);
        }
    }

    private static ScheduledExecutorService watches() {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "webhook-body-watch");
            t.setDaemon(true);
            return t;
        });
        // a body read in time cancels its watch: drop it from the queue at once rather than at its next run
        executor.setRemoveOnCancelPolicy(true);
        return executor;
    }

    /** Whether {@code received} bytes after {@code elapsedMs} fall below the minimum rate, counted after the grace. */
    boolean tooSlow(long received, long elapsedMs) {
        return minBytesPerSecond > 0
                && elapsedMs > GRACE_MS
                && received < minBytesPerSecond * (elapsedMs - GRACE_MS) / 1000;
    }

    private static void disconnect(Context ctx) {
        Request base = Request.getBaseRequest(ctx.req());
        if (base != null) {
            base.getHttpChannel().getEndPoint().close();
        }
    }

    /** A body over {@code webhook.max.body.bytes}, declared or found while reading. */
    static final class TooLarge extends RuntimeException {
        TooLarge(String message) {
            super(message);
        }
    }

    /** The body could not be read in time, or the client went away: the connection is already closed or closing. */
    static final class NotReceived extends RuntimeException {
        NotReceived(String message) {
            super(message);
        }
    }
}
