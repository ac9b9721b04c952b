package dev.reflex.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.junit.jupiter.api.Test;

import dev.reflex.embedded.testing.Garbage;
import dev.reflex.rules.files.RuleFiles;
import dev.reflex.schemas.Action;
import dev.reflex.schemas.DeadLetter;

/**
 * Records nobody can read on each topic the topology reads: each is dead-lettered with its coordinates and the
 * reason, and the next good record goes through.
 */
class PoisonRecordsTest extends TopologyTestBase {
    private static final String RULE = """
        id: restart
        when:
          source: k8s
          type: pod.oom
        then:
          - system: ops
            action: restart
            params:
              pod: ${event.subject}
        """;

    static List<byte[]> garbage(int knownSchemaId) {
        return Garbage.records(knownSchemaId);
    }

    private TestInputTopic<byte[], byte[]> raw(String topic) {
        return driver.createInputTopic(
                topic, Serdes.ByteArray().serializer(), Serdes.ByteArray().serializer());
    }

    /** The id of the rule schema, so garbage can name a schema the registry really knows. */
    private int knownSchemaId() {
        byte[] good = topics.rules()
                .valueSerde()
                .serializer()
                .serialize(
                        topics.rules().name(),
                        RuleFiles.parse("r.yaml", RULE).rules().get(0));
        return ByteBuffer.wrap(good, 1, 4).getInt();
    }

    @Test
    void unreadableRulesAreDeadLetteredByTheGlobalLoaderAndLaterRulesStillLoad() {
        int id = knownSchemaId();
        for (byte[] bad : garbage(id)) {
            raw(topics.rules().name()).pipeInput("bad".getBytes(StandardCharsets.UTF_8), bad);
        }
        applyRule(RULE);
        ingestJson("k8s", "{\"id\":\"e1\",\"type\":\"pod.oom\",\"subject\":\"api-1\"}");

        assertThat(actions("ops").readValuesToList())
                .extracting(Action::getEventId)
                .containsExactly("e1");
        assertThat(globalDeadLetters).hasSize(garbage(id).size()).allSatisfy(letter -> {
            assertThat(letter.getTopic()).isEqualTo(topics.rules().name());
            assertThat(letter.getStage()).isEqualTo("load-rules");
            assertThat(letter.getReader()).isEqualTo("engine test-instance");
            assertThat(letter.getReason()).isNotBlank();
        });
        assertThat(globalDeadLetters).extracting(DeadLetter::getOffset).containsExactly(0L, 1L, 2L, 3L, 4L);
        assertThat(globalDeadLetters.get(0).getReason()).contains("not in the Confluent Avro wire format");
        assertThat(globalDeadLetters.get(4).getReason()).contains("exceeds maximum allowed");
    }

    @Test
    void unreadableRegistersAreDeadLetteredAndRulesReadingRegistersKeepWorking() {
        int id = knownSchemaId();
        for (byte[] bad : garbage(id)) {
            raw(topics.registers().name()).pipeInput("maintenance".getBytes(StandardCharsets.UTF_8), bad);
        }
        raw(topics.registers().name()).pipeInput(null, new byte[] {1});
        applyRule(RULE);
        ingestJson("k8s", "{\"id\":\"e2\",\"type\":\"pod.oom\",\"subject\":\"api-2\"}");

        assertThat(actions("ops").readValuesToList())
                .extracting(Action::getEventId)
                .containsExactly("e2");
        assertThat(globalDeadLetters)
                .hasSize(garbage(id).size() + 1)
                .allSatisfy(letter -> assertThat(letter.getStage()).isEqualTo(ReflexTopology.LOAD_REGISTERS));
    }

    @Test
    void unreadableEventsRegisterOperationsResultsAndCorrelationInputsAreDeadLetteredAndTheNextEventIsDecided() {
        applyRule(RULE);
        for (byte[] bad : garbage(knownSchemaId())) {
            raw(topics.events().name()).pipeInput("k".getBytes(StandardCharsets.UTF_8), bad);
            raw(topics.registerOps().name()).pipeInput("r".getBytes(StandardCharsets.UTF_8), bad);
            raw(topics.actionResults().name()).pipeInput("a".getBytes(StandardCharsets.UTF_8), bad);
            raw(topics.correlate().name()).pipeInput("restart/api-3".getBytes(StandardCharsets.UTF_8), bad);
        }
        ingestJson("k8s", "{\"id\":\"e3\",\"type\":\"pod.oom\",\"subject\":\"api-3\"}");
        applyRule("""
            id: repeated-oom
            when: {source: k8s, type: pod.oom}
            correlate: {count: {atLeast: 2, within: 10m}}
            then:
              - {system: ops, action: page}
            """);
        ingestJson("k8s", "{\"id\":\"e4\",\"type\":\"pod.oom\",\"subject\":\"api-3\"}");
        ingestJson("k8s", "{\"id\":\"e5\",\"type\":\"pod.oom\",\"subject\":\"api-3\"}");

        assertThat(actions("ops").readValuesToList())
                .extracting(Action::getAction)
                .containsExactly("restart", "restart", "restart", "page");
        List<DeadLetter> letters = values(dlq);
        assertThat(letters).hasSize(4 * garbage(0).size());
        assertThat(letters)
                .extracting(DeadLetter::getTopic)
                .containsOnly(
                        topics.events().name(),
                        topics.registerOps().name(),
                        topics.actionResults().name(),
                        topics.correlate().name());
        assertThat(letters).allSatisfy(letter -> {
            assertThat(letter.getStage()).isEqualTo("deserialize");
            assertThat(letter.getReader()).isEqualTo("engine test-instance");
            assertThat(letter.getReason()).isNotBlank();
        });
    }
}
