package dev.reflex.topology;

import java.time.Duration;
import java.util.Map;
import java.util.function.Function;

import dev.reflex.topology.normalize.FieldMapping;

/**
 * What the topology is built with: the engine's settings that shape processing, typed. The engine makes them from its
 * configuration ({@code EngineConfig.topologyOptions()}); tests make them with {@link #defaults} and the withers.
 *
 * @param instanceId         named in decisions and dead letters as the engine instance that wrote them
 * @param maxEventBytes      the largest ingest record normalized; larger ones are dead-lettered
 * @param fieldMappings      per source, where the event's fields are found in its JSON
 * @param partitioning       where events are evaluated
 * @param ruleSlowBudget     the evaluation time over which a rule is quarantined
 * @param dedupRetention     how long an event id is remembered to drop repeats (zero: not at all)
 * @param unmatched          what is recorded for events no rule matched
 * @param registerExpiryScan how often registers past their time to live are deleted
 * @param inputProgress      how far the input has been read, which deadlines wait for (the engine's barriers; a test
 *                           driver has always read everything)
 */
public record TopologyOptions(
        String instanceId,
        int maxEventBytes,
        Function<String, FieldMapping> fieldMappings,
        Partitioning partitioning,
        Duration ruleSlowBudget,
        Duration dedupRetention,
        UnmatchedDecisions unmatched,
        Duration registerExpiryScan,
        InputProgress inputProgress) {
    public static final int DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;
    public static final Duration DEFAULT_RULE_SLOW_BUDGET = Duration.ofMillis(250);
    public static final Duration DEFAULT_DEDUP_RETENTION = Duration.ofHours(1);
    public static final Duration DEFAULT_REGISTER_EXPIRY_SCAN = Duration.ofSeconds(10);

    /** The defaults of every option, for an engine instance named {@code instanceId}. */
    public static TopologyOptions defaults(String instanceId) {
        return new TopologyOptions(
                instanceId,
                DEFAULT_MAX_EVENT_BYTES,
                source -> FieldMapping.DEFAULT,
                Partitioning.AUTO,
                DEFAULT_RULE_SLOW_BUDGET,
                DEFAULT_DEDUP_RETENTION,
                UnmatchedDecisions.FULL,
                DEFAULT_REGISTER_EXPIRY_SCAN,
                InputProgress.SYNCHRONOUS);
    }

    /** Field mappings by source (sources not named use the default mapping). */
    public TopologyOptions withFieldMappings(Map<String, FieldMapping> bySource) {
        Map<String, FieldMapping> copy = Map.copyOf(bySource);
        return new TopologyOptions(
                instanceId,
                maxEventBytes,
                s -> copy.getOrDefault(s, FieldMapping.DEFAULT),
                partitioning,
                ruleSlowBudget,
                dedupRetention,
                unmatched,
                registerExpiryScan,
                inputProgress);
    }

    public TopologyOptions withMaxEventBytes(int bytes) {
        return new TopologyOptions(
                instanceId,
                bytes,
                fieldMappings,
                partitioning,
                ruleSlowBudget,
                dedupRetention,
                unmatched,
                registerExpiryScan,
                inputProgress);
    }

    public TopologyOptions withPartitioning(Partitioning next) {
        return new TopologyOptions(
                instanceId,
                maxEventBytes,
                fieldMappings,
                next,
                ruleSlowBudget,
                dedupRetention,
                unmatched,
                registerExpiryScan,
                inputProgress);
    }

    public TopologyOptions withRuleSlowBudget(Duration budget) {
        return new TopologyOptions(
                instanceId,
                maxEventBytes,
                fieldMappings,
                partitioning,
                budget,
                dedupRetention,
                unmatched,
                registerExpiryScan,
                inputProgress);
    }

    public TopologyOptions withDedupRetention(Duration retention) {
        return new TopologyOptions(
                instanceId,
                maxEventBytes,
                fieldMappings,
                partitioning,
                ruleSlowBudget,
                retention,
                unmatched,
                registerExpiryScan,
                inputProgress);
    }

    public TopologyOptions withUnmatched(UnmatchedDecisions next) {
        return new TopologyOptions(
                instanceId,
                maxEventBytes,
                fieldMappings,
                partitioning,
                ruleSlowBudget,
                dedupRetention,
                next,
                registerExpiryScan,
                inputProgress);
    }

    /** Deadlines wait for {@code progress} to say their input has been read up to their due time. */
    public TopologyOptions withInputProgress(InputProgress progress) {
        return new TopologyOptions(
                instanceId,
                maxEventBytes,
                fieldMappings,
                partitioning,
                ruleSlowBudget,
                dedupRetention,
                unmatched,
                registerExpiryScan,
                progress);
    }

    /** The name dead letters give as their reader. */
    public String reader() {
        return "engine " + instanceId;
    }
}
