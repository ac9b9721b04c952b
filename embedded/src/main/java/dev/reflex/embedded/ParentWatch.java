package dev.reflex.embedded;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;

/**
 * Runs another program's main class in this JVM and ends the JVM when the process that started it is gone, so a child
 * process (the schema registry of {@code reflex dev} and of the tests, the engines and actors of the fault runs) never
 * outlives a parent that was killed: {@code java -cp ... dev.reflex.embedded.ParentWatch PARENT_PID MAIN_CLASS ARGS...}.
 * On the parent's end the child stops cleanly if it can within ten seconds (its broker may have gone with the parent),
 * and is halted otherwise. One class with no dependencies, so it can go on any program's class path ({@link #classPath}).
 */
public final class ParentWatch implements Runnable {
    static final long CHECK_MS = 500;
    static final long STOP_MS = 10_000;

    private final long parent;

    private ParentWatch(long parent) {
        this.parent = parent;
    }

    public static void main(String[] args) throws Throwable {
        if (args.length < 2) {
            System.err.println("usage: ParentWatch PARENT_PID MAIN_CLASS [ARGS...]");
            System.exit(2);
        }
        Thread watch = new Thread(new ParentWatch(Long.parseLong(args[0])), "parent-watch");
        watch.setDaemon(true);
        watch.start();
        try {
            Class.forName(args[1]).getMethod("main", String[].class).invoke(null, (Object)
                    Arrays.copyOfRange(args, 2, args.length));
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    @Override
    public void run() {
        while (ProcessHandle.of(parent).map(ProcessHandle::isAlive).orElse(false)) {
            try {
                Thread.sleep(CHECK_MS);
            } catch (InterruptedException e) {
                return;
            }
        }
        System.err.println("the process that started this one (pid " + parent + ") is gone: stopping");
        Thread halt = new Thread(ParentWatch::haltLater, "parent-watch-halt");
        halt.setDaemon(true);
        halt.start();
        System.exit(1);
    }

    private static void haltLater() {
        try {
            Thread.sleep(STOP_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Runtime.getRuntime().halt(1);
    }

    /**
     * The arguments that run {@code mainClass} under this watch for the current process, after {@code java} and its
     * options: {@code -cp CLASSPATH dev.reflex.embedded.ParentWatch PID MAIN_CLASS}.
     */
    public static List<String> arguments(String classPath, String mainClass) {
        return List.of(
                "-cp",
                classPath,
                ParentWatch.class.getName(),
                Long.toString(ProcessHandle.current().pid()),
                mainClass);
    }

    /**
     * A class path entry that holds this class alone, written under {@code dir}: for a program whose own class path must
     * not see the rest of Reflex's (the registry brings its own Kafka and Jackson).
     */
    public static String classPath(Path dir) {
        String resource = ParentWatch.class.getName().replace('.', '/') + ".class";
        Path file = dir.resolve(resource);
        try (InputStream in = ParentWatch.class.getClassLoader().getResourceAsStream(resource)) {
            byte[] bytes = in.readAllBytes();
            if (!Files.exists(file) || !Arrays.equals(Files.readAllBytes(file), bytes)) {
                Files.createDirectories(file.getParent());
                Path temp = Files.createTempFile(file.getParent(), "ParentWatch", ".tmp");
                Files.write(temp, bytes);
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
            return dir.toString();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
