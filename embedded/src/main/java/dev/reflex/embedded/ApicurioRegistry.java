package dev.reflex.embedded;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * A real Apicurio Registry (Confluent-compatible API under {@code /apis/ccompat/v7}) run as a child process
 * on 127.0.0.1.
 *
 * <p>The distribution comes from the local Maven repository (the build downloads it) and is unpacked once
 * into a cache directory. With a storage file, schemas and their ids survive restarts; without, they live in
 * memory.
 */
public final class ApicurioRegistry implements AutoCloseable {
    /** Overrides where the distribution is unpacked (default {@code ~/.cache/reflex}). */
    public static final String CACHE_DIR_PROPERTY = "reflex.apicurio.cache";

    private static final String RUNNER_MARKER = "-runner.jar";
    private static final String COMMAND_MARKER = "apicurio-registry-app";
    /** The runner jar's Main-Class, run by {@link ParentWatch}. */
    private static final String MAIN_CLASS = "io.quarkus.runner.GeneratedMain";

    private final Process process;
    private final int port;
    private final Path log;
    private final Optional<Path> pidFile;

    private ApicurioRegistry(Process process, int port, Path log, Optional<Path> pidFile) {
        this.process = process;
        this.port = port;
        this.log = log;
        this.pidFile = pidFile;
    }

    /**
     * Starts the registry and waits until its Confluent-compatible API answers.
     *
     * @param workDir where the log (and pid file) go
     * @param port port on 127.0.0.1, 0 for any free port
     * @param storage an H2 database file for persistent storage, or empty for in-memory storage
     */
    public static ApicurioRegistry start(Path workDir, int port, Optional<Path> storage, Duration timeout) {
        try {
            Files.createDirectories(workDir);
            Path pidFile = workDir.resolve("registry.pid");
            stopStaleChild(pidFile);
            int httpPort = port == 0 ? Ports.freePort() : port;
            Ports.requireFree(httpPort, "schema registry");
            Path runner = runnerJar();
            Path log = workDir.resolve("registry.log");
            List<String> command = new ArrayList<>(List.of(
                    javaExecutable(),
                    "-Xmx384m",
                    "-XX:+UseSerialGC",
                    "-Dquarkus.http.host=127.0.0.1",
                    "-Dquarkus.http.port=" + httpPort,
                    "-Dquarkus.log.console.level=WARN"));
            // under a watch of this process, so a registry never outlives a parent that was killed
            command.addAll(ParentWatch.arguments(
                    runner
                            + File.pathSeparator
                            + ParentWatch.classPath(runner.getParent().resolve("parent-watch")),
                    MAIN_CLASS));
            ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            storage.ifPresent(file ->
                    builder.environment().put("REGISTRY_DATASOURCE_URL", "jdbc:h2:file:" + file.toAbsolutePath()));
            Process process = builder.start();
            Files.writeString(pidFile, Long.toString(process.pid()));
            ApicurioRegistry registry = new ApicurioRegistry(process, httpPort, log, Optional.of(pidFile));
            try {
                registry.awaitReady(timeout);
            } catch (RuntimeException e) {
                registry.close();
                throw e;
            }
            return registry;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the schema registry: " + e.getMessage(), e);
        }
    }

    /** The base URL of the Confluent-compatible API, for schema registry clients. */
    public String url() {
        return "http://127.0.0.1:" + port + "/apis/ccompat/v7";
    }

    public int port() {
        return port;
    }

    public Path log() {
        return log;
    }

    private void awaitReady(Duration timeout) {
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest probe = HttpRequest.newBuilder(URI.create(url() + "/subjects"))
                .timeout(Duration.ofSeconds(2))
                .build();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the schema registry exited with code " + process.exitValue()
                        + " during start-up; see " + log + tail());
            }
            try {
                if (http.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the schema registry", e);
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the schema registry", e);
            }
        }
        throw new IllegalStateException("the schema registry did not answer on port " + port + " within "
                + timeout.toSeconds() + " s; see " + log + tail());
    }

    private String tail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return lines.isEmpty()
                    ? ""
                    : System.lineSeparator()
                            + String.join(
                                    System.lineSeparator(), lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        } catch (IOException | UncheckedIOException e) {
            return "";
        }
    }

    /** A registry left running by a process that was killed would hold the port: stop it, but only if it is ours. */
    private static void stopStaleChild(Path pidFile) throws IOException {
        if (!Files.exists(pidFile)) {
            return;
        }
        String text = Files.readString(pidFile).trim();
        Files.deleteIfExists(pidFile);
        long pid;
        try {
            pid = Long.parseLong(text);
        } catch (NumberFormatException e) {
            return;
        }
        ProcessHandle.of(pid)
                .filter(handle -> handle.info()
                        .commandLine()
                        .map(cmd -> cmd.contains(COMMAND_MARKER))
                        .orElse(false))
                .ifPresent(handle -> {
                    handle.destroy();
                    handle.onExit()
                            .orTimeout(10, TimeUnit.SECONDS)
                            .exceptionally(e -> {
                                handle.destroyForcibly();
                                return handle;
                            })
                            .join();
                });
    }

    private static String javaExecutable() {
        return ProcessHandle.current()
                .info()
                .command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /**
     * The runner jar of the distribution, unpacked into the cache once; its directory holds the whole registry (the
     * image tests build a stand-in registry image from it).
     */
    public static Path distribution() throws IOException {
        return runnerJar();
    }

    /** Unpacks the distribution into the cache once and returns its runner jar. */
    static Path runnerJar() throws IOException {
        Properties props = new Properties();
        try (InputStream in = ApicurioRegistry.class.getResourceAsStream("apicurio.properties")) {
            if (in == null) {
                throw new IllegalStateException(
                        "apicurio.properties is missing from the classpath; rebuild with ./mvnw install");
            }
            props.load(in);
        }
        String version = props.getProperty("version");
        Path zip = Path.of(props.getProperty("zip"));
        Path cache = Path.of(System.getProperty(
                CACHE_DIR_PROPERTY,
                Path.of(System.getProperty("user.home"), ".cache", "reflex").toString()));
        Path home = cache.resolve("apicurio-registry-" + version);
        Optional<Path> runner = findRunner(home);
        if (runner.isPresent()) {
            return runner.get();
        }
        if (!Files.isRegularFile(zip)) {
            throw new IllegalStateException("the Apicurio Registry distribution is not at " + zip
                    + "; run ./mvnw -pl embedded -am install to download it, or point Reflex at another registry");
        }
        Files.createDirectories(cache);
        Path staging = Files.createTempDirectory(cache, "apicurio-unpack-");
        unzip(zip, staging);
        try {
            Files.move(staging, home, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
            // another process unpacked it first
            deleteTree(staging);
        } catch (IOException e) {
            if (!Files.isDirectory(home)) {
                throw e;
            }
            deleteTree(staging);
        }
        return findRunner(home).orElseThrow(() -> new IllegalStateException("no runner jar in " + home));
    }

    private static Optional<Path> findRunner(Path home) throws IOException {
        if (!Files.isDirectory(home)) {
            return Optional.empty();
        }
        try (Stream<Path> files = Files.list(home)) {
            return files.filter(p -> p.getFileName().toString().endsWith(RUNNER_MARKER))
                    .findFirst();
        }
    }

    private static void unzip(Path zip, Path target) throws IOException {
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip))) {
            for (ZipEntry entry; (entry = in.getNextEntry()) != null; ) {
                Path out = target.resolve(entry.getName()).normalize();
                if (!out.startsWith(target)) {
                    throw new IOException("refusing zip entry outside the target: " + entry.getName());
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(out);
                } else {
                    Files.createDirectories(out.getParent());
                    Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        pidFile.ifPresent(file -> {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // a stale pid file is checked against the command line before use
            }
        });
    }
}
