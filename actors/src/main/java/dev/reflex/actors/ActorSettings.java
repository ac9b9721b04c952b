package dev.reflex.actors;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.reflex.admin.SettingPrefix;

/**
 * The settings every actor process takes besides its executor's: the Kafka consumer of its action topic is tuned with
 * {@code consumer.<setting>}, passed on without the prefix.
 */
public final class ActorSettings {
    public static final String CONSUMER_PREFIX = "consumer.";

    /** The families of settings named by a prefix. */
    public static final List<SettingPrefix> PREFIXES = List.of(new SettingPrefix(
            CONSUMER_PREFIX,
            CONSUMER_PREFIX + "<setting>",
            "A Kafka consumer setting for the action consumer, "
                    + "e.g. consumer.session.timeout.ms=10000 or consumer.max.poll.records=50. Reflex sets group.id, isolation.level, "
                    + "enable.auto.commit and the deserializers itself."));

    private ActorSettings() {}

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
