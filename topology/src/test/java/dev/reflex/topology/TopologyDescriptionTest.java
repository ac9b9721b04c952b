package dev.reflex.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.reflex.rules.RuleBook;
import dev.reflex.schemas.Topics;
import dev.reflex.schemas.registry.SchemaRegistryClient;
import dev.reflex.schemas.serde.ReflexSerdes;

/**
 * Renaming a processor, store or topic breaks the state of running engines on upgrade. This test makes every such
 * change visible: update {@code topology.txt} on purpose (run with -Dreflex.golden.update=true) or not at all.
 */
class TopologyDescriptionTest {
    @Test
    void theTopologyMatchesTheCommittedDescription() throws Exception {
        check(Map.of(), Path.of("src/test/resources/topology.txt"));
    }

    @Test
    void theTopologyEvaluatingAtIngestMatchesTheCommittedDescription() throws Exception {
        check(Map.of(EngineConfig.EVALUATE_PARTITIONING_CONFIG, "ingest"), Path.of("src/test/resources/topology-evaluate-at-ingest.txt"));
    }

    private static void check(Map<String, Object> settings, Path golden) throws Exception {
        Map<String, Object> all = new java.util.HashMap<>(settings);
        all.put(EngineConfig.SCHEMA_REGISTRY_URL_CONFIG, "http://127.0.0.1:1");
        EngineConfig config = new EngineConfig(all);
        Topics topics = new Topics(config.topicNames(), new ReflexSerdes(new SchemaRegistryClient(config.schemaRegistryUrl()), true));
        String described = ReflexTopology.build(config, topics, new RuleBook(), TopologyTestBase.NO_DEAD_LETTERS).describe().toString();
        if (Boolean.getBoolean("reflex.golden.update")) {
            Files.writeString(golden, described, StandardCharsets.UTF_8);
        }
        assertThat(described).isEqualTo(Files.readString(golden, StandardCharsets.UTF_8));
    }
}
