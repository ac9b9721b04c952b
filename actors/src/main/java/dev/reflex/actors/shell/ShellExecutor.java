package dev.reflex.actors.shell;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.reflex.actors.Execution;
import dev.reflex.actors.Executor;
import dev.reflex.schemas.Action;

/**
 * Runs allow-listed commands. The action's {@code command} param names an entry of {@code shell.command.<name>} (a JSON
 * array of arguments, or words separated by spaces); the arguments come from configuration only, and nothing runs
 * through a shell unless the configured command itself is one. Every other param reaches the command as an environment
 * variable {@code REFLEX_PARAM_<NAME>}, in an environment that holds only PATH, LANG and the action's variables, so
 * event data is data, never code, and the actor's own secrets do not leak into commands.
 */
public final class ShellExecutor implements Executor {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final long timeoutMs;
    private final int maxOutput;
    private final Map<String, List<String>> commands = new HashMap<>();

    public ShellExecutor(Map<?, ?> settings) {
        AbstractConfig config = new AbstractConfig(ShellActorConfig.CONFIG, settings, false);
        this.timeoutMs = config.getLong(ShellActorConfig.TIMEOUT_MS_CONFIG);
        this.maxOutput = config.getInt(ShellActorConfig.OUTPUT_MAX_BYTES_CONFIG);
        config.originalsWithPrefix(ShellActorConfig.COMMAND_PREFIX)
                .forEach((name, value) -> commands.put(name, argv(name, String.valueOf(value))));
        if (commands.isEmpty()) {
            throw new ConfigException(
                    ShellActorConfig.COMMAND_PREFIX + "<name>",
                    "(none)",
                    "the shell actor runs only allow-listed commands; configure at least one");
        }
    }

    private static List<String> argv(String name, String value) {
        List<String> args = new ArrayList<>();
        if (value.strip().startsWith("[")) {
            try {
                JsonNode array = JSON.readTree(value);
                array.forEach(a -> args.add(a.asText()));
            } catch (IOException e) {
                throw new ConfigException(
                        ShellActorConfig.COMMAND_PREFIX + name,
                        value,
                        "not a JSON array of arguments: " + e.getMessage());
            }
        } else {
            for (String word : value.strip().split("\\s+")) {
                args.add(word);
            }
        }
        if (args.isEmpty() || args.get(0).isBlank()) {
            throw new ConfigException(ShellActorConfig.COMMAND_PREFIX + name, value, "empty command");
        }
        return List.copyOf(args);
    }

    /** 4: each action is a process on this host, which is sized for a few. */
    @Override
    public int concurrency() {
        return 4;
    }

    @Override
    public Execution execute(Action action) {
        String name = action.getParams().get("command");
        List<String> argv = name == null ? null : commands.get(name);
        if (argv == null) {
            return Execution.failed(
                    0, null, null, null, "command '" + name + "' is not on the allow-list (shell.command.<name>)");
        }
        ProcessBuilder builder = new ProcessBuilder(argv).redirectErrorStream(true);
        Map<String, String> env = builder.environment();
        String path = env.getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
        env.clear();
        env.put("PATH", path);
        env.put("LANG", "C.UTF-8");
        env.put("REFLEX_ACTION_ID", action.getId());
        env.put("REFLEX_ACTION", action.getAction());
        env.put("REFLEX_SYSTEM", action.getSystem());
        if (action.getTarget() != null) {
            env.put("REFLEX_TARGET", action.getTarget());
        }
        action.getParams().forEach((key, value) -> {
            if (!key.equals("command")) {
                env.put("REFLEX_PARAM_" + key.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_"), value);
            }
        });
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            return Execution.failed(1, null, null, null, "cannot start " + argv.get(0) + ": " + e.getMessage());
        }
        CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> read(process.getInputStream()));
        try {
            if (!process.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
                return Execution.failed(
                        1, null, null, output.getNow(""), "timed out after " + timeoutMs + " ms; killed");
            }
            String text = output.get(5, TimeUnit.SECONDS);
            int exit = process.exitValue();
            return exit == 0
                    ? Execution.succeeded(1, null, exit, text)
                    : Execution.failed(1, null, exit, text, "exit code " + exit);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            return Execution.failed(1, null, null, null, "interrupted");
        } catch (Exception e) {
            return Execution.failed(
                    1, null, process.isAlive() ? null : process.exitValue(), null, "cannot read output: " + e);
        }
    }

    /** Reads all output (so the command never blocks on a full pipe) and keeps the first bytes. */
    private String read(InputStream in) {
        ByteArrayOutputStream kept = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        boolean truncated = false;
        try (in) {
            for (int n; (n = in.read(buffer)) >= 0; ) {
                int room = maxOutput - kept.size();
                if (room > 0) {
                    kept.write(buffer, 0, Math.min(room, n));
                }
                truncated |= n > room;
            }
        } catch (IOException e) {
            // the process was killed; keep what was read
        }
        String text = kept.toString(StandardCharsets.UTF_8);
        return truncated ? text + "..." : text;
    }
}
