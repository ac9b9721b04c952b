package dev.reflex.schemas;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.config.types.Password;

/**
 * How a Reflex process reaches Kafka: the brokers and the security settings (TLS, SASL) every client it makes
 * (producers, consumers, admin, Kafka Streams) is given. Security settings are {@code security.protocol} and every
 * {@code sasl.*} and {@code ssl.*} Kafka client setting; the common ones are defined (so they have environment
 * variables and documentation), the rest pass through from a settings file or {@code --set} as they are.
 *
 * <p>{@link #toString} names the brokers, and the protocol and mechanism when any security setting is given: secrets
 * in the settings are never printed.
 */
public final class KafkaConnection {
    private static final String PASS_THROUGH =
            " Any other sasl.* or ssl.* Kafka client setting is passed to every client as given.";

    /** The security settings with a definition, for configuration documents and environment variables. */
    public static final ConfigDef SECURITY = define(new ConfigDef());

    private final String bootstrapServers;
    private final Map<String, Object> security;

    private KafkaConnection(String bootstrapServers, Map<String, Object> security) {
        this.bootstrapServers = bootstrapServers;
        this.security = Collections.unmodifiableMap(security);
    }

    /** Adds the security settings to {@code definition}. */
    public static ConfigDef define(ConfigDef definition) {
        return definition
                .define(
                        CommonClientConfigs.SECURITY_PROTOCOL_CONFIG,
                        Type.STRING,
                        "PLAINTEXT",
                        ConfigDef.ValidString.in("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"),
                        Importance.MEDIUM,
                        "How clients talk to the brokers: TLS (SSL), SASL, both, or neither." + PASS_THROUGH)
                .define(
                        SaslConfigs.SASL_MECHANISM,
                        Type.STRING,
                        null,
                        Importance.MEDIUM,
                        "SASL mechanism with a SASL_ protocol: SCRAM-SHA-512, SCRAM-SHA-256, PLAIN or OAUTHBEARER.")
                .define(
                        SaslConfigs.SASL_JAAS_CONFIG,
                        Type.PASSWORD,
                        null,
                        Importance.MEDIUM,
                        "The client's SASL login, e.g. org.apache.kafka.common.security.scram.ScramLoginModule required "
                                + "username=\"reflex-engine\" password=\"...\"; . Never logged; give it from a secret (environment or file).")
                .define(
                        SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG,
                        Type.STRING,
                        null,
                        Importance.MEDIUM,
                        "Trust store holding the CA that signed the brokers' certificates (TLS).")
                .define(
                        SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG,
                        Type.PASSWORD,
                        null,
                        Importance.MEDIUM,
                        "Password of the trust store. Never logged.")
                .define(
                        SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG,
                        Type.STRING,
                        null,
                        Importance.LOW,
                        "Type of the trust store: JKS, PKCS12 or PEM (Kafka's default: JKS).")
                .define(
                        SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG,
                        Type.STRING,
                        null,
                        Importance.LOW,
                        "Key store with the client's own certificate, for brokers that authenticate clients by TLS (mTLS).")
                .define(
                        SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG,
                        Type.PASSWORD,
                        null,
                        Importance.LOW,
                        "Password of the key store. Never logged.")
                .define(
                        SslConfigs.SSL_KEY_PASSWORD_CONFIG,
                        Type.PASSWORD,
                        null,
                        Importance.LOW,
                        "Password of the key in the key store. Never logged.")
                .define(
                        SslConfigs.SSL_ENDPOINT_IDENTIFICATION_ALGORITHM_CONFIG,
                        Type.STRING,
                        null,
                        Importance.LOW,
                        "https (Kafka's default) checks that a broker's certificate names its host; empty turns the check off.");
    }

    /** The brokers, with the security settings found in {@code settings} (raw values, or Passwords). */
    public static KafkaConnection of(String bootstrapServers, Map<String, ?> settings) {
        Map<String, Object> security = new TreeMap<>();
        for (Map.Entry<String, ?> e : settings.entrySet()) {
            String key = e.getKey();
            if (e.getValue() != null
                    && (key.equals(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG)
                            || key.startsWith("sasl.")
                            || key.startsWith("ssl."))) {
                security.put(key, e.getValue() instanceof Password p ? p.value() : e.getValue());
            }
        }
        return new KafkaConnection(bootstrapServers, security);
    }

    /** Plain-text brokers with no security settings. */
    public static KafkaConnection plaintext(String bootstrapServers) {
        return new KafkaConnection(bootstrapServers, Map.of());
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** The security settings only (no brokers). */
    public Map<String, Object> security() {
        return security;
    }

    /** Client settings: the brokers, the security settings, then {@code keysAndValues} (pairs) over them. */
    public Map<String, Object> client(Object... keysAndValues) {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        settings.putAll(security);
        for (int i = 0; i + 1 < keysAndValues.length; i += 2) {
            settings.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return settings;
    }

    /** Client settings: the brokers, the security settings, then {@code more} over them. */
    public Map<String, Object> client(Map<String, ?> more) {
        Map<String, Object> settings = client();
        settings.putAll(more);
        return settings;
    }

    @Override
    public String toString() {
        if (security.isEmpty()) {
            return bootstrapServers;
        }
        Object protocol = security.getOrDefault(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "PLAINTEXT");
        Object mechanism = security.get(SaslConfigs.SASL_MECHANISM);
        return bootstrapServers + " (" + protocol + (mechanism == null ? "" : " " + mechanism) + ")";
    }
}
