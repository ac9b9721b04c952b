package dev.reflex.actors;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

import dev.reflex.admin.SettingPrefix;

/**
 * The settings every actor process takes besides its executor's: how many actions it runs at once, its circuit
 * breakers, and the Kafka consumer of its action topic, tuned with {@code consumer.<setting>}, passed on without the
 * prefix.
 */
public final class ActorSettings {
    public static final String CONSUMER_PREFIX = "consumer.";

    public static final String CONCURRENCY_CONFIG = "actor.concurrency";
    static final String CONCURRENCY_DOC = "Actions this process runs at once for each of its systems; never two of one "
            + "target at once, and a target's actions in the order the engine decided them. Default by kind: http 32 (calls "
            + "wait on the network, not on this host), shell 4 (each action is a process on this host), log 1. Results are "
            + "committed in the order actions were read, so a slow action holds back the reports (not the work) of the "
            + "actions read after it in its partition.";

    public static final String BREAKER_FAILURES_CONFIG = "actor.breaker.failures";
    static final String BREAKER_FAILURES_DOC = "Consecutive failed actions of one target that open its circuit: its "
            + "actions are held (not run, not dropped) for actor.breaker.cooldown.ms, then one runs as a probe; a success "
            + "closes the circuit, a failure holds the target again. The result of the failure that opened it says so in "
            + "its error (\"circuit open for target T after N consecutive failures\"), so rules and flows can react to it. "
            + "The count is rebuilt from reflex.action-results when the actor starts or takes over partitions. 0 turns "
            + "breakers off.";
    public static final String BREAKER_COOLDOWN_MS_CONFIG = "actor.breaker.cooldown.ms";
    static final String BREAKER_COOLDOWN_MS_DOC =
            "How long an open circuit holds its target's actions before one probes.";
    public static final String BREAKER_HELD_MAX_MS_CONFIG = "actor.breaker.held.max.ms";
    static final String BREAKER_HELD_MAX_MS_DOC = "0: held actions wait until a probe succeeds, however long (none is "
            + "dropped; the other targets of their partition go on, while the partition's committed offset stays at the first "
            + "held action, and the partition pauses once 50,000 reported records wait behind it). Above 0: once a circuit "
            + "has been open this long, its held and new actions fail without running, each with a result whose error says "
            + "why (attempts 0), until a probe succeeds.";

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
                    CONCURRENCY_DOC)
            .define(
                    BREAKER_FAILURES_CONFIG,
                    ConfigDef.Type.INT,
                    5,
                    ConfigDef.Range.atLeast(0),
                    ConfigDef.Importance.MEDIUM,
                    BREAKER_FAILURES_DOC)
            .define(
                    BREAKER_COOLDOWN_MS_CONFIG,
                    ConfigDef.Type.LONG,
                    30_000L,
                    ConfigDef.Range.atLeast(0),
                    ConfigDef.Importance.MEDIUM,
                    BREAKER_COOLDOWN_MS_DOC)
            .define(
                    BREAKER_HELD_MAX_MS_CONFIG,
                    ConfigDef.Type.LONG,
                    0L,
                    ConfigDef.Range.atLeast(0),
                    ConfigDef.Importance.MEDIUM,
                    BREAKER_HELD_MAX_MS_DOC);

    /** The families of settings named by a prefix. */
    public static final List<SettingPrefix> PREFIXES = List.of(new SettingPrefix(
            CONSUMER_PREFIX,
            CONSUMER_PREFIX + "<setting>",
            "A Kafka consumer setting for the action consumer, "
                    + "e.g. consumer.session.timeout.ms=10000 or consumer.max.poll.records=50. Reflex sets group.id, isolation.level, "
                    + "enable.auto.commit and the deserializers itself."));

    private ActorSettings() {}

    /** The options {@code settings} ask for, with {@code executor}'s concurrency where they name none. */
    public static ActorOptions options(Map<String, ?> settings, Executor executor) {
        AbstractConfig config = new AbstractConfig(CONFIG, settings, false);
        Integer concurrency = config.getInt(CONCURRENCY_CONFIG);
        return new ActorOptions(
                concurrency == null ? executor.concurrency() : concurrency,
                config.getInt(BREAKER_FAILURES_CONFIG),
                Duration.ofMillis(config.getLong(BREAKER_COOLDOWN_MS_CONFIG)),
                Duration.ofMillis(config.getLong(BREAKER_HELD_MAX_MS_CONFIG)));
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
