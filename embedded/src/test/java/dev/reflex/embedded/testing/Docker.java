package dev.reflex.embedded.testing;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;

/**
 * The docker and compose command lines, run with a time limit. Tests that need Docker call {@link #requireOrSkip}:
 * without a Docker engine they are skipped with the reason, unless REFLEX_NO_SKIP=1 (as .ci/run sets), when
 * they fail instead, so CI cannot pass by skipping them.
 */
public final class Docker {
    /** How a command ended and what it printed (standard output and error together). */
    public record Result(int exit, String output) {
        public Result orThrow(String what) {
            if (exit != 0) {
                throw new IllegalStateException(what + " failed (exit " + exit + "):\n" + output);
            }
            return this;
        }
    }

    private Docker() {}

    public static void requireOrSkip() {
        Result info;
        try {
            info = run(Duration.ofSeconds(30), Map.of(), null, "docker", "info", "--format", "{{.ServerVersion}}");
        } catch (RuntimeException e) {
            info = new Result(-1, e.getMessage());
        }
        if (info.exit() == 0) {
            return;
        }
        String reason =
                "no Docker engine answers 'docker info' (" + info.output().strip() + ")";
        if ("1".equals(System.getenv("REFLEX_NO_SKIP"))) {
            throw new IllegalStateException(reason + ", and REFLEX_NO_SKIP=1 says these tests must run");
        }
        Assumptions.abort(reason + "; the image and compose tests are skipped");
    }

    /** {@code docker-compose} (Compose v1) when installed, else {@code docker compose} (v2). */
    public static List<String> compose() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, "docker-compose"))) {
                return List.of("docker-compose");
            }
        }
        return List.of("docker", "compose");
    }

    public static Result run(Duration timeout, String... command) {
        return run(timeout, Map.of(), null, command);
    }

    public static Result run(Duration timeout, Map<String, String> environment, Path dir, String... command) {
        return run(timeout, environment, dir, List.of(command));
    }

    public static Result run(Duration timeout, Map<String, String> environment, Path dir, List<String> command) {
        try {
            Path log = Files.createTempFile("reflex-docker-", ".log");
            try {
                ProcessBuilder builder = new ProcessBuilder(new ArrayList<>(command))
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile());
                builder.environment().putAll(environment);
                if (dir != null) {
                    builder.directory(dir.toFile());
                }
                Process process = builder.start();
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.descendants().forEach(ProcessHandle::destroyForcibly);
                    process.destroyForcibly();
                    throw new IllegalStateException(String.join(" ", command) + " did not finish within "
                            + timeout.toSeconds() + " s:\n" + Files.readString(log, StandardCharsets.UTF_8));
                }
                return new Result(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(log);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
