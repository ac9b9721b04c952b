package dev.reflex.cli;

import java.io.PrintWriter;
import java.util.Locale;

import dev.reflex.audit.history.ReadProgress;

/**
 * Progress of a long read: on a terminal a bar redrawn in place with records/s and the time left; otherwise (a pipe,
 * a CI log) a plain line every few seconds. Goes to standard error, so standard output stays the result.
 */
class Progress implements ReadProgress {
    private static final int WIDTH = 30;

    private final PrintWriter err;
    private final boolean terminal;
    private final String what;
    private final long intervalNanos;
    private long total;
    private long began;
    private long lastShown;
    private boolean shown;

    Progress(PrintWriter err, boolean terminal, String what) {
        this.err = err;
        this.terminal = terminal;
        this.what = what;
        this.intervalNanos = terminal ? 250_000_000L : 5_000_000_000L;
    }

    /** Progress on standard error, as a bar when a terminal is attached. */
    static Progress forConsole(PrintWriter err, String what) {
        return new Progress(err, System.console() != null, what);
    }

    public void start(long total) {
        this.total = total;
        this.began = System.nanoTime();
        this.lastShown = began;
    }

    public void update(long done) {
        long now = System.nanoTime();
        if (now - lastShown < intervalNanos) {
            return;
        }
        lastShown = now;
        shown = true;
        String line = line(done, now);
        if (terminal) {
            err.print("\r" + line + "  ");
        } else {
            err.println(line);
        }
        err.flush();
    }

    public void finish(long done) {
        if (shown && terminal) {
            err.print("\r" + line(done, System.nanoTime()) + "  ");
            err.println();
            err.flush();
        }
    }

    String line(long done, long now) {
        double seconds = Math.max(1e-3, (now - began) / 1e9);
        double rate = done / seconds;
        StringBuilder line = new StringBuilder();
        if (total > 0) {
            int filled = (int) Math.min(WIDTH, WIDTH * done / total);
            line.append('[')
                    .append("#".repeat(filled))
                    .append(".".repeat(WIDTH - filled))
                    .append("] ")
                    .append(String.format(Locale.ROOT, "%3d%% ", Math.min(100, 100 * done / total)));
        }
        line.append(String.format(Locale.ROOT, "%,d", done));
        if (total > 0) {
            line.append(String.format(Locale.ROOT, " of %,d", total));
        }
        line.append(' ').append(what).append(String.format(Locale.ROOT, "  %,.0f/s", rate));
        if (total > 0 && rate > 0 && done < total) {
            line.append("  ETA ").append(duration((long) ((total - done) / rate)));
        }
        return line.toString();
    }

    static String duration(long seconds) {
        if (seconds < 60) {
            return seconds + " s";
        }
        if (seconds < 3600) {
            return seconds / 60 + " min " + seconds % 60 + " s";
        }
        return seconds / 3600 + " h " + seconds % 3600 / 60 + " min";
    }
}
