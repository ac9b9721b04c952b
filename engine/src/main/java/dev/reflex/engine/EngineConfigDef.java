package dev.reflex.engine;

import java.util.Arrays;
import java.util.Locale;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.streams.StreamsConfig;

import dev.reflex.schemas.KafkaConnection;
import dev.reflex.schemas.TopicNames;
import dev.reflex.topology.Partitioning;
import dev.reflex.topology.TopologyOptions;
import dev.reflex.topology.UnmatchedDecisions;

/** The declaration of the engine's settings ({@link EngineConfig#CONFIG}): each with its type, default, check and doc. */
final class EngineConfigDef {
    private EngineConfigDef() {}

    static ConfigDef of() {
        ConfigDef config = new ConfigDef()
                .define(
                        EngineConfig.BOOTSTRAP_SERVERS_CONFIG,
                        Type.LIST,
                        "127.0.0.1:9092",
                        Importance.HIGH,
                        EngineConfig.BOOTSTRAP_SERVERS_DOC)
                .define(
                        EngineConfig.SCHEMA_REGISTRY_URL_CONFIG,
                        Type.STRING,
                        "http://127.0.0.1:8081/apis/ccompat/v7",
                        Importance.HIGH,
                        EngineConfig.SCHEMA_REGISTRY_URL_DOC)
                .define(
                        EngineConfig.SCHEMA_REGISTRY_AUTO_REGISTER_CONFIG,
                        Type.BOOLEAN,
                        true,
                        Importance.MEDIUM,
                        EngineConfig.SCHEMA_REGISTRY_AUTO_REGISTER_DOC)
                .define(
                        EngineConfig.APPLICATION_ID_CONFIG,
                        Type.STRING,
                        "reflex-engine",
                        new ConfigDef.NonEmptyString(),
                        Importance.HIGH,
                        EngineConfig.APPLICATION_ID_DOC)
                .define(
                        EngineConfig.TOPIC_PREFIX_CONFIG,
                        Type.STRING,
                        TopicNames.DEFAULT_PREFIX,
                        Importance.MEDIUM,
                        EngineConfig.TOPIC_PREFIX_DOC)
                .define(EngineConfig.INSTANCE_ID_CONFIG, Type.STRING, "", Importance.LOW, EngineConfig.INSTANCE_ID_DOC)
                .define(
                        EngineConfig.MAX_EVENT_BYTES_CONFIG,
                        Type.INT,
                        TopologyOptions.DEFAULT_MAX_EVENT_BYTES,
                        ConfigDef.Range.between(1024, 64 * 1024 * 1024),
                        Importance.MEDIUM,
                        EngineConfig.MAX_EVENT_BYTES_DOC)
                .define(
                        EngineConfig.TOPICS_CREATE_CONFIG,
                        Type.BOOLEAN,
                        true,
                        Importance.MEDIUM,
                        EngineConfig.TOPICS_CREATE_DOC)
                .define(
                        EngineConfig.TOPIC_PARTITIONS_CONFIG,
                        Type.INT,
                        -1,
                        ConfigDef.Range.atLeast(-1),
                        Importance.LOW,
                        EngineConfig.TOPIC_PARTITIONS_DOC)
                .define(
                        EngineConfig.TOPIC_REPLICATION_FACTOR_CONFIG,
                        Type.SHORT,
                        (short) -1,
                        Importance.LOW,
                        EngineConfig.TOPIC_REPLICATION_FACTOR_DOC)
                .define(
                        EngineConfig.PROCESSING_GUARANTEE_CONFIG,
                        Type.STRING,
                        StreamsConfig.EXACTLY_ONCE_V2,
                        ConfigDef.ValidString.in(StreamsConfig.EXACTLY_ONCE_V2, StreamsConfig.AT_LEAST_ONCE),
                        Importance.MEDIUM,
                        EngineConfig.PROCESSING_GUARANTEE_DOC)
                .define(
                        EngineConfig.NUM_STREAM_THREADS_CONFIG,
                        Type.INT,
                        1,
                        ConfigDef.Range.atLeast(1),
                        Importance.MEDIUM,
                        EngineConfig.NUM_STREAM_THREADS_DOC)
                .define(
                        EngineConfig.COMMIT_INTERVAL_MS_CONFIG,
                        Type.LONG,
                        EngineConfig.DEFAULT_COMMIT_INTERVAL_MS,
                        ConfigDef.Range.atLeast(0),
                        Importance.MEDIUM,
                        EngineConfig.COMMIT_INTERVAL_MS_DOC)
                .define(
                        EngineConfig.STATE_DIR_CONFIG,
                        Type.STRING,
                        System.getProperty("java.io.tmpdir") + "/reflex-streams",
                        Importance.MEDIUM,
                        EngineConfig.STATE_DIR_DOC)
                .define(
                        EngineConfig.METADATA_MAX_AGE_MS_CONFIG,
                        Type.LONG,
                        10_000L,
                        ConfigDef.Range.atLeast(1000),
                        Importance.LOW,
                        EngineConfig.METADATA_MAX_AGE_MS_DOC)
                .define(
                        EngineConfig.REGISTER_EXPIRY_SCAN_MS_CONFIG,
                        Type.LONG,
                        TopologyOptions.DEFAULT_REGISTER_EXPIRY_SCAN.toMillis(),
                        ConfigDef.Range.atLeast(100),
                        Importance.LOW,
                        EngineConfig.REGISTER_EXPIRY_SCAN_MS_DOC)
                .define(
                        EngineConfig.RULE_SLOW_MS_CONFIG,
                        Type.LONG,
                        TopologyOptions.DEFAULT_RULE_SLOW_BUDGET.toMillis(),
                        ConfigDef.Range.atLeast(1),
                        Importance.LOW,
                        EngineConfig.RULE_SLOW_MS_DOC)
                .define(
                        EngineConfig.DECISIONS_UNMATCHED_CONFIG,
                        Type.STRING,
                        UnmatchedDecisions.FULL.setting(),
                        validEnum(UnmatchedDecisions.values()),
                        Importance.MEDIUM,
                        EngineConfig.DECISIONS_UNMATCHED_DOC)
                .define(
                        EngineConfig.EVALUATE_PARTITIONING_CONFIG,
                        Type.STRING,
                        Partitioning.AUTO.setting(),
                        validEnum(Partitioning.values()),
                        Importance.MEDIUM,
                        EngineConfig.EVALUATE_PARTITIONING_DOC)
                .define(
                        EngineConfig.DEDUP_RETENTION_MS_CONFIG,
                        Type.LONG,
                        TopologyOptions.DEFAULT_DEDUP_RETENTION.toMillis(),
                        ConfigDef.Range.atLeast(0),
                        Importance.MEDIUM,
                        EngineConfig.DEDUP_RETENTION_MS_DOC)
                .define(
                        EngineConfig.DEADLINES_WAIT_FOR_INPUT_CONFIG,
                        Type.BOOLEAN,
                        true,
                        Importance.MEDIUM,
                        EngineConfig.DEADLINES_WAIT_FOR_INPUT_DOC)
                .define(
                        EngineConfig.STALL_TIMEOUT_MS_CONFIG,
                        Type.LONG,
                        300_000L,
                        ConfigDef.Range.atLeast(0),
                        Importance.LOW,
                        EngineConfig.STALL_TIMEOUT_MS_DOC)
                .define(
                        EngineConfig.API_PORT_CONFIG,
                        Type.INT,
                        8095,
                        ConfigDef.Range.between(-1, 65535),
                        Importance.MEDIUM,
                        EngineConfig.API_PORT_DOC)
                .define(
                        EngineConfig.API_HOST_CONFIG,
                        Type.STRING,
                        "127.0.0.1",
                        Importance.MEDIUM,
                        EngineConfig.API_HOST_DOC)
                .define(EngineConfig.API_TOKEN_CONFIG, Type.PASSWORD, null, Importance.HIGH, EngineConfig.API_TOKEN_DOC)
                .define(
                        EngineConfig.API_ADVERTISED_HOST_CONFIG,
                        Type.STRING,
                        "",
                        Importance.LOW,
                        EngineConfig.API_ADVERTISED_HOST_DOC)
                .define(
                        EngineConfig.API_DECISIONS_KEPT_CONFIG,
                        Type.INT,
                        10_000,
                        ConfigDef.Range.atLeast(0),
                        Importance.LOW,
                        EngineConfig.API_DECISIONS_KEPT_DOC)
                .define(
                        EngineConfig.TIMELINE_ENABLED_CONFIG,
                        Type.BOOLEAN,
                        true,
                        Importance.MEDIUM,
                        EngineConfig.TIMELINE_ENABLED_DOC)
                .define(
                        EngineConfig.TIMELINE_RETENTION_DAYS_CONFIG,
                        Type.INT,
                        30,
                        ConfigDef.Range.between(1, 3650),
                        Importance.MEDIUM,
                        EngineConfig.TIMELINE_RETENTION_DAYS_DOC)
                .define(
                        EngineConfig.TIMELINE_THREADS_CONFIG,
                        Type.INT,
                        0,
                        ConfigDef.Range.atLeast(0),
                        Importance.LOW,
                        EngineConfig.TIMELINE_THREADS_DOC)
                .define(
                        EngineConfig.TIMELINE_YIELD_MAX_MS_CONFIG,
                        Type.LONG,
                        30_000L,
                        ConfigDef.Range.atLeast(0),
                        Importance.LOW,
                        EngineConfig.TIMELINE_YIELD_MAX_MS_DOC);
        KafkaConnection.define(config);
        return config;
    }

    private static ConfigDef.ValidString validEnum(Enum<?>[] values) {
        return ConfigDef.ValidString.in(Arrays.stream(values)
                .map(v -> v.name().toLowerCase(Locale.ROOT))
                .toArray(String[]::new));
    }
}
