package dev.reflex.actors.shell;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.reflex.actors.Execution;
import dev.reflex.schemas.Action;
import dev.reflex.schemas.ActionStatus;

class ShellExecutorTest {
    private static final ShellExecutor SHELL = new ShellExecutor(Map.of(
            "shell.command.greet",
            "[\"/bin/sh\", \"-c\", \"echo hello $REFLEX_PARAM_WHO on $REFLEX_TARGET\"]",
            "shell.command.env",
            "/usr/bin/env",
            "shell.command.fail",
            "[\"/bin/sh\", \"-c\", \"echo broken; exit 3\"]",
            "shell.command.slow",
            "/bin/sleep 30",
            "shell.command.loud",
            "[\"/bin/sh\", \"-c\", \"yes | head -c 100000\"]",
            ShellActorConfig.TIMEOUT_MS_CONFIG,
            1_000L));
    private static final ShellExecutor TERSE = new ShellExecutor(Map.of(
            "shell.command.loud",
            "[\"/bin/sh\", \"-c\", \"yes | head -c 100000\"]",
            ShellActorConfig.OUTPUT_MAX_BYTES_CONFIG,
            64));

    private static Action action(Map<String, String> params) {
        return Action.newBuilder()
                .setId("act-1")
                .setSystem("host")
                .setAction("run")
                .setTarget("web-1")
                .setParams(params)
                .setEventId("e")
                .setEventSource("s")
                .setEventType("t")
                .setRuleId("r")
                .setRuleVersion("v")
                .setCreatedAt(Instant.EPOCH)
                .build();
    }

    @Test
    void anAllowListedCommandRunsWithParamsAsEnvironmentVariablesNeverAsCode(@TempDir Path dir) {
        Path marker = dir.resolve("pwned");
        Execution result = SHELL.execute(
                action(Map.of("command", "greet", "who", "x; touch " + marker + " $(touch " + marker + ")")));
        assertThat(result.status()).isEqualTo(ActionStatus.SUCCEEDED);
        assertThat(result.exitCode()).isZero();
        assertThat(result.output()).startsWith("hello x; touch ").contains("on web-1");
        assertThat(Files.exists(marker)).isFalse();
    }

    @Test
    void theCommandSeesOnlyAMinimalEnvironment() {
        Execution result = SHELL.execute(action(Map.of("command", "env", "a", "1")));
        assertThat(result.output())
                .contains("REFLEX_PARAM_A=1")
                .doesNotContain("HOME=")
                .doesNotContain("JAVA_HOME");
    }

    @Test
    void unlistedCommandsFailingCommandsTimeoutsAndLoudOutputAreReported() {
        assertThat(SHELL.execute(action(Map.of("command", "rm"))).error())
                .isEqualTo("command 'rm' is not on the allow-list (shell.command.<name>)");
        assertThat(SHELL.execute(action(Map.of())).status()).isEqualTo(ActionStatus.FAILED);
        Execution failed = SHELL.execute(action(Map.of("command", "fail")));
        assertThat(failed.status()).isEqualTo(ActionStatus.FAILED);
        assertThat(failed.exitCode()).isEqualTo(3);
        assertThat(failed.output()).isEqualTo("broken\n");
        Execution slow = SHELL.execute(action(Map.of("command", "slow")));
        assertThat(slow.error()).isEqualTo("timed out after 1000 ms; killed");
        Execution loud = TERSE.execute(action(Map.of("command", "loud")));
        assertThat(loud.status()).isEqualTo(ActionStatus.SUCCEEDED);
        assertThat(loud.output()).hasSize(64 + 3).endsWith("...");
    }

    @Test
    void withoutAnAllowListTheActorDoesNotStart() {
        assertThatThrownBy(() -> new ShellExecutor(Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("allow-listed");
    }
}
