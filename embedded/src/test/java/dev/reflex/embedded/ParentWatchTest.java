package dev.reflex.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** A child under {@link ParentWatch} lives as long as the process that started it, and no longer, whoever kills that. */
class ParentWatchTest {
    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Starts a child under the watch, prints its pid, and waits to be killed. */
    public static final class Parent {
        public static void main(String[] args) throws Exception {
            List<String> command = new ArrayList<>(List.of(java()));
            command.addAll(ParentWatch.arguments(System.getProperty("java.class.path"), Sleeper.class.getName()));
            Process child = new ProcessBuilder(command)
                    .inheritIO()
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            System.out.println(child.pid());
            System.out.flush();
            Thread.sleep(600_000);
        }
    }

    /** The child: a program that would run for ten minutes, with a shutdown hook like the engine's. */
    public static final class Sleeper {
        public static void main(String[] args) throws Exception {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {}));
            Thread.sleep(600_000);
        }
    }

    @Test
    void aChildEndsSoonAfterItsParentIsKilledWithSigkillAndNotBefore() throws Exception {
        Process parent = new ProcessBuilder(
                        java(), "-cp", System.getProperty("java.class.path"), Parent.class.getName())
                .redirectErrorStream(true)
                .start();
        ProcessHandle child = null;
        try {
            BufferedReader out =
                    new BufferedReader(new InputStreamReader(parent.getInputStream(), StandardCharsets.UTF_8));
            child = ProcessHandle.of(Long.parseLong(out.readLine().trim())).orElseThrow();
            Thread.sleep(3 * ParentWatch.CHECK_MS);
            assertThat(child.isAlive()).as("the child while its parent lives").isTrue();

            parent.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            Optional<ProcessHandle> gone = child.onExit()
                    .completeOnTimeout(null, 15, TimeUnit.SECONDS)
                    .thenApply(Optional::ofNullable)
                    .get();
            assertThat(gone)
                    .as("the child ended within 15 s of its parent's SIGKILL")
                    .isPresent();
        } finally {
            if (child != null) {
                child.destroyForcibly();
            }
            parent.destroyForcibly();
        }
    }
}
