package dev.reflex.cli;

import java.util.List;
import java.util.stream.Collectors;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.types.Password;

import dev.reflex.actors.ActorSettings;
import dev.reflex.actors.http.HttpActorConfig;
import dev.reflex.actors.shell.ShellActorConfig;
import dev.reflex.admin.SettingPrefix;
import dev.reflex.connectors.timer.TimerSettings;
import dev.reflex.connectors.webhook.WebhookConfig;
import dev.reflex.engine.EngineConfig;

/** Generates docs/configuration.md from the settings' declarations, so the reference cannot drift from the code. */
public final class ConfigReference {
    private ConfigReference() {}

    public static String markdown() {
        StringBuilder md = new StringBuilder();
        md.append("# Configuration reference\n\n")
                .append(
                        "Generated from the code (`ConfigReference`); `./mvnw -pl cli test -Dtest=ConfigReferenceTest -Dreflex.docs.update=true` rewrites it.\n\n")
                .append(
                        "Every setting can be given in a properties file (`--config FILE`), as an environment variable, or as a flag ")
                .append("(`--set key=value`, and the named flags of each command), in rising order of precedence. ")
                .append("The environment variable is `REFLEX_` plus the name in capitals with `.` and `-` as `_`, ")
                .append("without a leading `reflex.`: `bootstrap.servers` is `REFLEX_BOOTSTRAP_SERVERS`.\n\n");
        StringBuilder kafkaDefaults = new StringBuilder();
        for (EngineConfig.KafkaDefault d : EngineConfig.KAFKA_DEFAULTS) {
            kafkaDefaults
                    .append("- `")
                    .append(d.name())
                    .append("` = `")
                    .append(d.value())
                    .append("`: ")
                    .append(d.why())
                    .append(".\n");
        }
        section(
                md,
                "Engine (`reflex engine`)",
                EngineConfig.CONFIG,
                EngineConfig.PREFIXES,
                "Settings not listed here are passed to Kafka Streams and its clients unchanged, e.g. "
                        + "`--set replication.factor=3` or `--set producer.compression.type=zstd`. Reflex sets these unless they are given:\n\n"
                        + kafkaDefaults);
        section(
                md,
                "Webhook connector (`reflex connect webhook`, and in `reflex dev`)",
                WebhookConfig.CONFIG,
                WebhookConfig.PREFIXES,
                "Endpoints: `POST /events/{source}` (a JSON object or a CloudEvent, structured or binary), `POST /alertmanager` "
                        + "(Alertmanager's webhook: one event per alert), `POST /github` (GitHub webhooks, signature verified), "
                        + "`GET /health`.\n");
        section(
                md,
                "Timer connector (`reflex connect timer`)",
                new ConfigDef(),
                TimerSettings.PREFIXES,
                "Schedules also come as `--schedule NAME=CRON` flags.\n");
        section(
                md,
                "Every actor (`reflex act KIND --system NAME`)",
                ActorSettings.CONFIG,
                ActorSettings.PREFIXES,
                "Connection settings (`--bootstrap-servers`, `--schema-registry-url`, `--topic-prefix`) are flags.\n");
        section(
                md,
                "HTTP actor (`reflex act http --system NAME`)",
                HttpActorConfig.CONFIG,
                HttpActorConfig.PREFIXES,
                "Credentials are configured here, never taken from events.\n");
        section(
                md,
                "Shell actor (`reflex act shell --system NAME`)",
                ShellActorConfig.CONFIG,
                ShellActorConfig.PREFIXES,
                "");
        return md.toString();
    }

    private static void section(
            StringBuilder md, String title, ConfigDef def, List<SettingPrefix> prefixes, String intro) {
        md.append("## ").append(title).append("\n\n");
        if (!intro.isEmpty()) {
            md.append(intro).append('\n');
        }
        List<ConfigDef.ConfigKey> keys = def.configKeys().values().stream().toList();
        if (!keys.isEmpty()) {
            md.append("| setting | environment | type | default | valid values | description |\n")
                    .append("|---|---|---|---|---|---|\n");
        }
        for (ConfigDef.ConfigKey key : keys) {
            md.append("| `")
                    .append(key.name)
                    .append("` | `")
                    .append(Settings.environmentVariable(key.name))
                    .append("` | ")
                    .append(key.type.name().toLowerCase())
                    .append(" | ")
                    .append(defaultOf(key))
                    .append(" | ")
                    .append(key.validator == null ? "" : escape(key.validator.toString()))
                    .append(" | ")
                    .append(escape(key.documentation))
                    .append(" |\n");
        }
        if (!prefixes.isEmpty()) {
            md.append(keys.isEmpty() ? "" : "\n")
                    .append("| settings named by a prefix | description |\n")
                    .append("|---|---|\n");
            for (SettingPrefix prefix : prefixes) {
                md.append("| `")
                        .append(prefix.pattern())
                        .append("` | ")
                        .append(escape(prefix.documentation()))
                        .append(" |\n");
            }
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
            text = "<java.io.tmpdir>"
                    + text.substring(System.getProperty("java.io.tmpdir").length());
        }
        return "`" + escape(text) + "`";
    }

    private static String escape(String text) {
        return text.replace("|", "\\|").replace("\n", " ");
    }
}
