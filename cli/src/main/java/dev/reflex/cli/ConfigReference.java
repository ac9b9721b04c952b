package dev.reflex.cli;

import java.util.List;
import java.util.stream.Collectors;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.types.Password;

import dev.reflex.actors.HttpActorConfig;
import dev.reflex.actors.ShellExecutor;
import dev.reflex.connectors.WebhookConfig;
import dev.reflex.engine.EngineConfig;

/** Generates docs/configuration.md from the settings' declarations, so the reference cannot drift from the code. */
public final class ConfigReference {
    private ConfigReference() {
    }

    public static String markdown() {
        StringBuilder md = new StringBuilder();
        md.append("# Configuration reference\n\n")
            .append("Generated from the code (`ConfigReference`); `./mvnw -pl cli test -Dtest=ConfigReferenceTest -Dreflex.docs.update=true` rewrites it.\n\n")
            .append("Every setting can be given in a properties file (`--config FILE`), as an environment variable, or as a flag ")
            .append("(`--set key=value`, and the named flags of each command), in rising order of precedence. ")
            .append("The environment variable is `REFLEX_` plus the name in capitals with `.` and `-` as `_`, ")
            .append("without a leading `reflex.`: `bootstrap.servers` is `REFLEX_BOOTSTRAP_SERVERS`.\n\n");
        section(md, "Engine (`reflex engine`)", EngineConfig.CONFIG,
            "Settings not listed here are passed to Kafka Streams and its clients unchanged, e.g. "
                + "`--set replication.factor=3` or `--set producer.compression.type=zstd`.\n\n"
                + "Generic JSON events find their attributes through per-source settings "
                + "`reflex.normalizer.<source>.<attribute>`, where the attribute is one of `id`, `type`, `subject`, `time`, "
                + "`severity`, `correlationid`, `labels` and the value a JSON pointer (`/alert/fingerprint`) or a top-level "
                + "field name; `reflex.normalizer.<source>.type.default` gives a type to events that carry none. "
                + "Without settings, each attribute is read from the field of its own name, and an event without `id` "
                + "gets `<topic>-<partition>-<offset>`, which a replay reproduces.\n");
        section(md, "Webhook connector (started by `reflex dev`)", WebhookConfig.CONFIG,
            "Endpoints: `POST /events/{source}` (a JSON object or a CloudEvent, structured or binary), `POST /alertmanager` "
                + "(Alertmanager's webhook: one event per alert), `POST /github` (GitHub webhooks, signature verified), "
                + "`GET /health`.\n");
        section(md, "HTTP actor (`reflex act http --system NAME`)", HttpActorConfig.CONFIG,
            "Credentials are configured here, never taken from events: `credential.<name>.url.prefix` (the only URLs it "
                + "is sent to), `credential.<name>.header` (default `Authorization`), and `credential.<name>.value` or "
                + "`credential.<name>.value.env` (an environment variable holding it). An action picks one with its "
                + "`credential` param. Connection settings (`--bootstrap-servers`, `--schema-registry-url`, `--topic-prefix`) "
                + "are flags.\n");
        section(md, "Shell actor (`reflex act shell --system NAME`)", ShellExecutor.CONFIG,
            "Commands are allow-listed as `shell.command.<name>`: a JSON array of arguments (`[\"/usr/bin/systemctl\", "
                + "\"restart\", \"nginx\"]`) or words separated by spaces. An action names one with its `command` param; its other "
                + "params arrive as environment variables `REFLEX_PARAM_<NAME>`, with `REFLEX_ACTION_ID`, `REFLEX_TARGET`, "
                + "`PATH` and `LANG` and nothing else.\n");
        return md.toString();
    }

    private static void section(StringBuilder md, String title, ConfigDef def, String intro) {
        md.append("## ").append(title).append("\n\n");
        if (!intro.isEmpty()) {
            md.append(intro).append('\n');
        }
        md.append("| setting | environment | type | default | valid values | description |\n")
            .append("|---|---|---|---|---|---|\n");
        List<ConfigDef.ConfigKey> keys = def.configKeys().values().stream().toList();
        for (ConfigDef.ConfigKey key : keys) {
            md.append("| `").append(key.name).append("` | `").append(Settings.environmentVariable(key.name)).append("` | ")
                .append(key.type.name().toLowerCase()).append(" | ").append(defaultOf(key)).append(" | ")
                .append(key.validator == null ? "" : escape(key.validator.toString())).append(" | ")
                .append(escape(key.documentation)).append(" |\n");
        }
        md.append('\n');
    }

    private static String defaultOf(ConfigDef.ConfigKey key) {
        if (!key.hasDefault()) {
            return "required";
        }
        Object value = key.defaultValue;
        if (value == null || value instanceof Password) {
            return "(none)";
        }
        if (value instanceof List<?> list) {
            value = list.stream().map(String::valueOf).collect(Collectors.joining(","));
        }
        String text = String.valueOf(value);
        if (text.startsWith(System.getProperty("java.io.tmpdir"))) {
            text = "<java.io.tmpdir>" + text.substring(System.getProperty("java.io.tmpdir").length());
        }
        return "`" + escape(text) + "`";
    }

    private static String escape(String text) {
        return text.replace("|", "\\|").replace("\n", " ");
    }
}
