package dev.reflex.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A file in the engine's state directory for as long as the engine runs: found at start, it says the last run did not
 * stop cleanly (kill -9, a crash, a lost machine), so Kafka Streams will rebuild the local state of its exactly-once tasks
 * from their changelogs before processing resumes.
 */
final class RunMarker {
    static final String FILE = "reflex-running";

    private final Path file;
    private final boolean unclean;

    private RunMarker(Path file, boolean unclean) {
        this.file = file;
        this.unclean = unclean;
    }

    /** Marks the run under {@code dir} as started, telling whether the previous one had not stopped cleanly. */
    static RunMarker start(Path dir) {
        Path file = dir.resolve(FILE);
        try {
            Files.createDirectories(dir);
            boolean unclean = Files.exists(file);
            Files.writeString(file, Long.toString(ProcessHandle.current().pid()));
            return new RunMarker(file, unclean);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** Whether the run before this one did not stop cleanly. */
    boolean unclean() {
        return unclean;
    }

    /** The run stopped cleanly. */
    void stopped() {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // the next start then says it recovers from an unclean stop, which costs a restore, not correctness
        }
    }
}
