package dev.reflex.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import dev.reflex.rules.RuleBook;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.Topics;
import dev.reflex.schemas.registry.InMemorySchemaRegistry;
import dev.reflex.schemas.serde.ReflexSerdes;
import dev.reflex.topology.timeline.SystemBook;
import dev.reflex.topology.timeline.TimelineListener;
import dev.reflex.topology.timeline.TimelineTopology;

/**
 * Renaming a processor, store or topic breaks the state of running engines on upgrade. This test makes every such
 * change visible, in the engine's topology and the timeline's: update {@code topology*.txt} on purpose (run with
 * -Dreflex.golden.update=true) or not at all.
 */
class TopologyDescriptionTest {
    @Test
    void theTopologyMatchesTheCommittedDescription() throws Exception {
        check(TopologyOptions.defaults("golden"), Path.of("src/test/resources/topology.txt"));
    }

    @Test
    void theTopologyEvaluatingAtIngestMatchesTheCommittedDescription() throws Exception {
        check(
                TopologyOptions.defaults("golden").withPartitioning(Partitioning.INGEST),
                Path.of("src/test/resources/topology-evaluate-at-ingest.txt"));
    }

    @Test
    void theTopologyEvaluatingBySubjectMatchesTheCommittedDescription() throws Exception {
        check(
                TopologyOptions.defaults("golden").withPartitioning(Partitioning.SUBJECT),
                Path.of("src/test/resources/topology-evaluate-by-subject.txt"));
    }

    @Test
    void theTimelineTopologyMatchesTheCommittedDescription() throws Exception {
        String described = TimelineTopology.build(
                        topics(),
                        new TimelineTopology.Options(
                                Duration.ofDays(7), Duration.ofMinutes(10), InputProgress.SYNCHRONOUS, "golden"),
                        new SystemBook(),
                        TopologyTestBase.NO_DEAD_LETTERS,
                        TimelineListener.NONE)
                .describe()
                .toString();
        compare(described, Path.of("src/test/resources/topology-timeline.txt"));
    }

    private static Topics topics() {
        return new Topics(
                new TopicNames(TopicNames.DEFAULT_PREFIX), new ReflexSerdes(new InMemorySchemaRegistry(), true));
    }

    private static void check(TopologyOptions options, Path golden) throws Exception {
        compare(
                ReflexTopology.build(options, topics(), new RuleBook(), TopologyTestBase.NO_DEAD_LETTERS)
                        .describe()
                        .toString(),
                golden);
    }

    private static void compare(String described, Path golden) throws Exception {
        if (Boolean.getBoolean("reflex.golden.update")) {
            Files.writeString(golden, described, StandardCharsets.UTF_8);
        }
        assertThat(described).isEqualTo(Files.readString(golden, StandardCharsets.UTF_8));
    }
}
