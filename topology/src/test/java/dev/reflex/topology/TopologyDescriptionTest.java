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
    private static final Path GOLDEN = Path.of("src/test/resources/topology.txt");

    @Test
    void theTopologyMatchesTheCommittedDescription() throws Exception {
        EngineConfig config = new EngineConfig(Map.of(EngineConfig.SCHEMA_REGISTRY_URL_CONFIG, "http://127.0.0.1:1"));
        Topics topics = new Topics(config.topicNames(), new ReflexSerdes(new SchemaRegistryClient(config.schemaRegistryUrl()), true));
        String described = ReflexTopology.build(config, topics, new RuleBook()).describe().toString();
        if (Boolean.getBoolean("reflex.golden.update")) {
            Files.writeString(GOLDEN, described, StandardCharsets.UTF_8);
        }
        assertThat(described).isEqualTo(Files.readString(GOLDEN, StandardCharsets.UTF_8));
    }
}
