package dev.reflex.actors.shell;

import java.util.List;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;

import dev.reflex.admin.SettingPrefix;

/** The shell actor's settings: its time and output limits, and the allow-listed commands by name. */
public final class ShellActorConfig {
    public static final String TIMEOUT_MS_CONFIG = "shell.timeout.ms";
    public static final String OUTPUT_MAX_BYTES_CONFIG = "shell.output.max.bytes";
    public static final String COMMAND_PREFIX = "shell.command.";

    /** The families of settings named by a prefix. */
    public static final List<SettingPrefix> PREFIXES = List.of(new SettingPrefix(
            COMMAND_PREFIX,
            COMMAND_PREFIX + "<name>",
            "An allow-listed command: a JSON array of "
                    + "arguments ([\"/usr/bin/systemctl\", \"restart\", \"nginx\"]) or words separated by spaces. An action names one with "
                    + "its command param; its other params arrive as environment variables REFLEX_PARAM_<NAME>, with REFLEX_ACTION_ID, "
                    + "REFLEX_TARGET, PATH and LANG and nothing else."));

    public static final ConfigDef CONFIG = new ConfigDef()
            .define(
                    TIMEOUT_MS_CONFIG,
                    Type.LONG,
                    30_000L,
                    ConfigDef.Range.atLeast(1),
                    Importance.MEDIUM,
                    "A command still running after this long is killed and its action fails.")
            .define(
                    OUTPUT_MAX_BYTES_CONFIG,
                    Type.INT,
                    4096,
                    ConfigDef.Range.between(0, 1 << 20),
                    Importance.LOW,
                    "How much of the command's output (standard output and error together) goes into the result.");

    private ShellActorConfig() {}
}
