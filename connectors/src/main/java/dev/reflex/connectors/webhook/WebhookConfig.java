package dev.reflex.connectors.webhook;

import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

import dev.reflex.admin.BearerTokens;
import dev.reflex.admin.SettingPrefix;
import dev.reflex.schemas.KafkaConnection;
import dev.reflex.schemas.TopicNames;

/** Settings of the generic webhook connector. */
public final class WebhookConfig extends AbstractConfig {
    public static final String BOOTSTRAP_SERVERS_CONFIG = "bootstrap.servers";
    public static final String TOPIC_PREFIX_CONFIG = "reflex.topic.prefix";
    public static final String HTTP_HOST_CONFIG = "http.host";
    public static final String HTTP_PORT_CONFIG = "http.port";
    public static final String MAX_BODY_BYTES_CONFIG = "webhook.max.body.bytes";
    public static final String READ_TIMEOUT_MS_CONFIG = "webhook.read.timeout.ms";
    public static final String MIN_BODY_RATE_CONFIG = "webhook.min.body.bytes.per.second";
    public static final String TOKEN_CONFIG = "webhook.token";
    public static final String CREATE_TOPICS_CONFIG = "reflex.topics.create";
    public static final String PRODUCE_TIMEOUT_MS_CONFIG = "webhook.produce.timeout.ms";
    public static final String GITHUB_SECRET_CONFIG = "github.webhook.secret";
    /** {@code webhook.hmac.<source>.secret}: per-source HMAC-SHA256 secret for /events/{source}. */
    public static final String HMAC_PREFIX = "webhook.hmac.";

    public static final String HMAC_HEADER_CONFIG = "webhook.hmac.header";

    /** The families of settings named by a prefix. */
    public static final List<SettingPrefix> PREFIXES = List.of(new SettingPrefix(
            HMAC_PREFIX,
            HMAC_PREFIX + "<source>.secret",
            "The HMAC-SHA256 secret of a source: "
                    + "POST /events/<source> then accepts only requests whose webhook.hmac.header carries sha256=<hex HMAC of the body>. "
                    + "Also REFLEX_WEBHOOK_HMAC_<SOURCE>_SECRET. Never logged."));

    public static final ConfigDef CONFIG = new ConfigDef()
            .define(
                    BOOTSTRAP_SERVERS_CONFIG,
                    Type.LIST,
                    "127.0.0.1:9092",
                    Importance.HIGH,
                    "Kafka brokers to connect to, as host:port pairs separated by commas.")
            .define(
                    TOPIC_PREFIX_CONFIG,
                    Type.STRING,
                    TopicNames.DEFAULT_PREFIX,
                    Importance.MEDIUM,
                    "Prefix of every Reflex topic; events go to <prefix>ingest.<source>.")
            .define(
                    HTTP_HOST_CONFIG,
                    Type.STRING,
                    "127.0.0.1",
                    Importance.HIGH,
                    "Address to listen on. Anything but a loopback address requires webhook.token.")
            .define(
                    HTTP_PORT_CONFIG,
                    Type.INT,
                    8080,
                    ConfigDef.Range.between(0, 65535),
                    Importance.HIGH,
                    "Port to listen on.")
            .define(
                    MAX_BODY_BYTES_CONFIG,
                    Type.INT,
                    1024 * 1024,
                    ConfigDef.Range.between(1024, 64 * 1024 * 1024),
                    Importance.MEDIUM,
                    "Largest request body accepted; larger ones are answered 413.")
            .define(
                    READ_TIMEOUT_MS_CONFIG,
                    Type.LONG,
                    10_000L,
                    ConfigDef.Range.atLeast(100),
                    Importance.LOW,
                    "Time a client has to send a whole request body (checked every second); a slower one is disconnected, so clients that trickle bytes "
                            + "cannot hold the connector's threads. Also the longest a connection may stay silent.")
            .define(
                    MIN_BODY_RATE_CONFIG,
                    Type.LONG,
                    1024L,
                    ConfigDef.Range.atLeast(0),
                    Importance.LOW,
                    "A client that sends its request body slower than this (bytes per second, checked every second after a "
                            + "one-second grace, so a short pause of the server never refuses a small body) is disconnected; 0 turns the check off and leaves only "
                            + READ_TIMEOUT_MS_CONFIG + ".")
            .define(
                    TOKEN_CONFIG,
                    Type.PASSWORD,
                    null,
                    Importance.HIGH,
                    "Bearer token that every request must carry (Authorization: Bearer <token>). Never logged.")
            .define(
                    CREATE_TOPICS_CONFIG,
                    Type.BOOLEAN,
                    true,
                    Importance.MEDIUM,
                    "Create <prefix>ingest.<source> on the first event of a new source. When off, events for a source whose topic does not exist are refused with 404.")
            .define(
                    PRODUCE_TIMEOUT_MS_CONFIG,
                    Type.LONG,
                    15_000L,
                    ConfigDef.Range.atLeast(1000),
                    Importance.LOW,
                    "How long a request waits for Kafka to acknowledge its event before it is answered 503.")
            .define(
                    HMAC_HEADER_CONFIG,
                    Type.STRING,
                    "X-Signature-256",
                    Importance.MEDIUM,
                    "Header that carries sha256=<hex HMAC-SHA256 of the body> for sources with a secret "
                            + "(webhook.hmac.<source>.secret, or REFLEX_WEBHOOK_HMAC_<SOURCE>_SECRET). Such sources accept only correctly signed requests.")
            .define(
                    GITHUB_SECRET_CONFIG,
                    Type.PASSWORD,
                    null,
                    Importance.HIGH,
                    "The secret of your GitHub webhook. POST /github verifies X-Hub-Signature-256 with it and answers 401 to "
                            + "unsigned or wrongly signed deliveries; without it, /github answers 404. Never logged.");

    private final Map<String, String> environment;

    public WebhookConfig(Map<?, ?> originals) {
        this(originals, System.getenv());
    }

    public WebhookConfig(Map<?, ?> originals, Map<String, String> environment) {
        super(CONFIG, originals, false);
        this.environment = environment;
        String host = getString(HTTP_HOST_CONFIG);
        if (!BearerTokens.isLoopback(host) && token() == null) {
            throw new ConfigException(
                    TOKEN_CONFIG,
                    "(unset)",
                    "listening on " + host
                            + " needs a token so that only your senders can publish events; set webhook.token (or REFLEX_WEBHOOK_TOKEN)");
        }
    }

    static {
        KafkaConnection.define(CONFIG);
    }

    /** The brokers and the security settings given. */
    public KafkaConnection kafka() {
        return KafkaConnection.of(bootstrapServers(), originals());
    }

    public String bootstrapServers() {
        return String.join(",", getList(BOOTSTRAP_SERVERS_CONFIG));
    }

    public TopicNames topicNames() {
        return new TopicNames(getString(TOPIC_PREFIX_CONFIG));
    }

    /** The HMAC secret of a source, from settings or the environment, or null when the source is not signed. */
    public String hmacSecret(String source) {
        Object configured = originals().get(HMAC_PREFIX + source + ".secret");
        if (configured != null) {
            return configured instanceof Password p ? p.value() : configured.toString();
        }
        return environment.get(
                "REFLEX_WEBHOOK_HMAC_" + source.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_") + "_SECRET");
    }

    public String githubSecret() {
        Password secret = getPassword(GITHUB_SECRET_CONFIG);
        return secret == null || secret.value().isEmpty() ? null : secret.value();
    }

    public String token() {
        Password token = getPassword(TOKEN_CONFIG);
        return token == null || token.value().isEmpty() ? null : token.value();
    }
}
