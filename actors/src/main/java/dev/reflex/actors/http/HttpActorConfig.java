package dev.reflex.actors.http;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

import dev.reflex.admin.SettingPrefix;

/**
 * Settings of the HTTP actor. Credentials are configured here, never taken from events:
 * {@code credential.<name>.url.prefix}, {@code credential.<name>.header} (default Authorization) and
 * {@code credential.<name>.value} (or {@code credential.<name>.value.env}, the name of an environment variable).
 * An action selects one with its {@code credential} param, and it is only ever sent to URLs under its prefix.
 */
public final class HttpActorConfig extends AbstractConfig {
    public static final String TIMEOUT_MS_CONFIG = "http.timeout.ms";
    public static final String MAX_ATTEMPTS_CONFIG = "http.max.attempts";
    public static final String BACKOFF_INITIAL_MS_CONFIG = "http.backoff.initial.ms";
    public static final String BACKOFF_MAX_MS_CONFIG = "http.backoff.max.ms";
    public static final String DEADLINE_MS_CONFIG = "http.deadline.ms";
    public static final String OUTPUT_MAX_BYTES_CONFIG = "http.output.max.bytes";
    public static final String BASE_URL_CONFIG = "http.base.url";
    public static final String CREDENTIAL_PREFIX = "credential.";

    /** The families of settings named by a prefix. */
    public static final List<SettingPrefix> PREFIXES = List.of(
            new SettingPrefix(
                    CREDENTIAL_PREFIX,
                    CREDENTIAL_PREFIX + "<name>.url.prefix",
                    "The only URLs credential <name> is sent to (required for each credential). An action picks a credential with its "
                            + "credential param; credentials are never taken from events."),
            new SettingPrefix(
                    CREDENTIAL_PREFIX,
                    CREDENTIAL_PREFIX + "<name>.header",
                    "The header that carries credential <name> (default Authorization)."),
            new SettingPrefix(
                    CREDENTIAL_PREFIX,
                    CREDENTIAL_PREFIX + "<name>.value",
                    "The value of credential <name>; or credential.<name>.value.env, the environment variable that holds it. Never logged."));

    public static final ConfigDef CONFIG = new ConfigDef()
            .define(
                    BASE_URL_CONFIG,
                    Type.STRING,
                    "",
                    Importance.MEDIUM,
                    "Prefix for action URLs that start with '/', so rules can say url: /v1/restart and each environment's actor "
                            + "says where that is.")
            .define(
                    TIMEOUT_MS_CONFIG,
                    Type.LONG,
                    10_000L,
                    ConfigDef.Range.atLeast(1),
                    Importance.MEDIUM,
                    "Timeout of one HTTP request, connecting included.")
            .define(
                    MAX_ATTEMPTS_CONFIG,
                    Type.INT,
                    5,
                    ConfigDef.Range.atLeast(1),
                    Importance.MEDIUM,
                    "Attempts per action; 5xx, 408, 429 and I/O errors are retried, other 4xx never.")
            .define(
                    BACKOFF_INITIAL_MS_CONFIG,
                    Type.LONG,
                    200L,
                    ConfigDef.Range.atLeast(1),
                    Importance.LOW,
                    "Wait before the first retry; it doubles per retry, with full jitter.")
            .define(
                    BACKOFF_MAX_MS_CONFIG,
                    Type.LONG,
                    10_000L,
                    ConfigDef.Range.atLeast(1),
                    Importance.LOW,
                    "Longest wait between retries.")
            .define(
                    DEADLINE_MS_CONFIG,
                    Type.LONG,
                    60_000L,
                    ConfigDef.Range.atLeast(1),
                    Importance.MEDIUM,
                    "After this long an action that has not succeeded fails, whatever attempts remain.")
            .define(
                    OUTPUT_MAX_BYTES_CONFIG,
                    Type.INT,
                    1024,
                    ConfigDef.Range.between(0, 65536),
                    Importance.LOW,
                    "How much of the response body goes into the result.");

    /** A credential: what header to set, to what, and the only URLs it may go to. */
    public record Credential(String name, String urlPrefix, String header, String value) {
        @Override
        public String toString() {
            return "Credential[" + name + " for " + urlPrefix + "]";
        }
    }

    private final Map<String, Credential> credentials = new HashMap<>();

    public HttpActorConfig(Map<?, ?> originals, Map<String, String> environment) {
        super(CONFIG, originals, false);
        Map<String, Map<String, String>> byName = new HashMap<>();
        originalsWithPrefix(CREDENTIAL_PREFIX).forEach((key, value) -> {
            int dot = key.indexOf('.');
            if (dot <= 0) {
                throw new ConfigException(
                        CREDENTIAL_PREFIX + key,
                        "(hidden)",
                        "expected credential.<name>.<url.prefix|header|value|value.env>");
            }
            byName.computeIfAbsent(key.substring(0, dot), n -> new HashMap<>())
                    .put(key.substring(dot + 1), String.valueOf(value));
        });
        byName.forEach((name, fields) -> {
            String prefix = fields.get("url.prefix");
            if (prefix == null
                    || !(prefix.startsWith("https://") || prefix.startsWith("http://"))
                    || prefix.indexOf('/', 8) < 0) {
                throw new ConfigException(
                        CREDENTIAL_PREFIX + name + ".url.prefix",
                        prefix,
                        "a credential needs the URL prefix it may be sent to, with scheme, host and path, e.g. https://api.example.com/");
            }
            String value = fields.get("value");
            if (value == null && fields.containsKey("value.env")) {
                value = environment.get(fields.get("value.env"));
                if (value == null) {
                    throw new ConfigException(
                            CREDENTIAL_PREFIX + name + ".value.env",
                            fields.get("value.env"),
                            "that environment variable is not set");
                }
            }
            if (value == null) {
                throw new ConfigException(CREDENTIAL_PREFIX + name + ".value", "(unset)", "set the value or value.env");
            }
            credentials.put(name, new Credential(name, prefix, fields.getOrDefault("header", "Authorization"), value));
        });
    }

    public Credential credential(String name) {
        return credentials.get(name);
    }
}
