package dev.reflex.actors;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

import dev.reflex.admin.SettingPrefix;

/**
 * The settings every actor process takes besides its executor's: how many actions it runs at once, and the Kafka
 * consumer of its action topic, tuned with {@code consumer.<setting>}, passed on without the prefix.
 */
public final class ActorSettings {
    public static final String CONSUMER_PREFIX = "consumer.";

    public static final String CONCURRENCY_CONFIG = "actor.concurrency";
    static final String CONCURRENCY_DOC = "Actions this process runs at once for each of its systems; never two of one "
            + "target at once, and a target's actions in the order the engine decided them. Default by kind: http 32 (calls "
            + "wait on the network, not on this host), shell 4 (each action is a process on this host), log 1. Results are "
            + "committed in the order actions were read, so a slow action holds back the reports (not the work) of the "
            + "actions read after it in its partition.";

    public static final ConfigDef CONFIG = new ConfigDef()
            .define(
                    CONCURRENCY_CONFIG,
                    ConfigDef.Type.INT,
                    null,
                    ConfigDef.LambdaValidator.with(
                            (name, value) -> {
                                if (value != null && (Integer) value < 1) {
                                    throw new ConfigException(name, value, "must be at least 1");
                                }
                            },
                            () -> "at least 1"),
                    ConfigDef.Importance.MEDIUM,
                    CONCURRENCY_DOC);

    /** The families of settings named by a prefix. */
    public static final List<SettingPrefix> PREFIXES = List.of(new SettingPrefix(
            CONSUMER_PREFIX,
            CONSUMER_PREFIX + "<setting>",
            "A Kafka consumer setting for the action consumer, "
                    + "e.g. consumer.session.timeout.ms=10000 or consumer.max.poll.records=50. Reflex sets group.id, isolation.level, "
                    + "enable.auto.commit and the deserializers itself."));

    private ActorSettings() {}

    /** The concurrency {@code settings} ask for, or {@code byDefault} when they do not. */
    public static int concurrency(Map<String, ?> settings, int byDefault) {
        Object value = new AbstractConfig(CONFIG, settings, false).getInt(CONCURRENCY_CONFIG);
        return value == null ? byDefault : (Integer) value;
    }

    /** The {@code consumer.*} settings among {@code settings}, without the prefix. */
    public static Map<String, String> consumer(Map<String, String> settings) {
        Map<String, String> consumer = new HashMap<>();
        settings.forEach((k, v) -> {
            if (k.startsWith(CONSUMER_PREFIX)) {
                consumer.put(k.substring(CONSUMER_PREFIX.length()), v);
            }
        });
        return consumer;
    }
}
