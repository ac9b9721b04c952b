package dev.reflex.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.reflex.embedded.ParentWatch;

/** A {@code reflex} command in its own JVM, on this process's class path, so a fault run can kill it with SIGKILL. */
final class Child {
    private final String name;
    private final List<String> args;
    private final Path log;
    private String heap = "384m";
    /** Small and quick to start, for fault runs with several children: serial GC, the first JIT tier only. */
    private List<String> jvm = List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

    private Process process;
    private int starts;

    Child(String name, Path log, List<String> args) {
        this.name = name;
        this.log = log;
        this.args = List.copyOf(args);
    }

    /** The child's maximum heap, e.g. 96m. */
    Child heap(String size) {
        this.heap = size;
        return this;
    }

    /** The JVM's own defaults (G1, every JIT tier), as a production process runs: for runs that measure speed. */
    Child productionJvm() {
        this.jvm = List.of();
        return this;
    }

    synchronized Child start() throws IOException {
        List<String> command = new ArrayList<>(
                List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx" + heap));
        command.addAll(jvm);
        command.add("-Dlog4j2.configurationFile=log4j2-child.xml");
        // ends when this process does, even when this one is killed
        command.addAll(ParentWatch.arguments(System.getProperty("java.class.path"), "dev.reflex.cli.Main"));
        command.addAll(args);
        process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        starts++;
        return this;
    }

    /** SIGKILL: no shutdown hook runs, nothing is flushed or committed. */
    synchronized void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM: the process closes cleanly. */
    synchronized void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    /** Empty while the process runs (or was killed by us); otherwise how it ended on its own. */
    synchronized String exitedByItself() {
        if (process == null || process.isAlive()) {
            return "";
        }
        int code = process.exitValue();
        return code == 137 || code == 143 ? "" : name + " exited with code " + code + " (log: " + log + ")";
    }

    boolean isAlive() {
        return process != null && process.isAlive();
    }

    String name() {
        return name;
    }

    int starts() {
        return starts;
    }
}
