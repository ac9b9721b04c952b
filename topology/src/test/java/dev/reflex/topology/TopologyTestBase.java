package dev.reflex.topology;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import dev.reflex.rules.RuleBook;
import dev.reflex.rules.files.RuleFiles;
import dev.reflex.schemas.Action;
import dev.reflex.schemas.DeadLetter;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.Register;
import dev.reflex.schemas.Rule;
import dev.reflex.schemas.Topic;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.Topics;
import dev.reflex.schemas.registry.InMemorySchemaRegistry;
import dev.reflex.schemas.serde.ReflexSerdes;

/** A TopologyTestDriver over the real topology, with a fixed wall clock and a schema registry in memory. */
abstract class TopologyTestBase {
    static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    /** For tests that expect no unreadable record on the rules or registers topic. */
    static final GlobalDeadLetters NO_DEAD_LETTERS = letter -> {
        throw new AssertionError("unexpected dead letter from a global store: " + letter);
    };

    @TempDir
    Path stateDir;

    TopologyTestDriver driver;
    Topics topics;
    TestOutputTopic<String, Event> events;
    TestOutputTopic<String, DeadLetter> dlq;
    TestOutputTopic<String, Decision> decisions;
    TestOutputTopic<String, Register> registers;
    TestInputTopic<String, Rule> rules;
    TestInputTopic<String, Event> eventsIn;
    /** What the global stores' loaders dead-lettered. */
    final List<DeadLetter> globalDeadLetters = new ArrayList<>();

    /** The options the topology is built with; tests override this or rebuild with {@link #restart}. */
    TopologyOptions options() {
        return TopologyOptions.defaults("test-instance");
    }

    @BeforeEach
    void startDriver() {
        topics = new Topics(
                new TopicNames(TopicNames.DEFAULT_PREFIX), new ReflexSerdes(new InMemorySchemaRegistry(), true));
        start(options(), globalDeadLetters::add);
    }

    /** Closes the driver and starts a new one over the topology built with {@code options}. */
    void restart(TopologyOptions options) {
        driver.close();
        start(options, NO_DEAD_LETTERS);
    }

    private void start(TopologyOptions options, GlobalDeadLetters deadLetters) {
        Properties streams = new Properties();
        streams.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        streams.put(StreamsConfig.APPLICATION_ID_CONFIG, "ttd-" + UUID.randomUUID());
        streams.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        streams.putAll(ProcessingDeadLetters.settings(topics, options.reader(), ProcessingListener.NONE));
        driver = new TopologyTestDriver(
                ReflexTopology.build(options, topics, new RuleBook(), deadLetters), streams, NOW);
        events = output(topics.events());
        dlq = output(topics.dlq());
        decisions = output(topics.decisions());
        registers = output(topics.registers());
        rules = driver.createInputTopic(
                topics.rules().name(),
                topics.rules().keySerde().serializer(),
                topics.rules().valueSerde().serializer());
        eventsIn = driver.createInputTopic(
                topics.events().name(),
                topics.events().keySerde().serializer(),
                topics.events().valueSerde().serializer());
    }

    @AfterEach
    void closeDriver() {
        driver.close();
    }

    <K, V> TestOutputTopic<K, V> output(Topic<K, V> topic) {
        return driver.createOutputTopic(
                topic.name(),
                topic.keySerde().deserializer(),
                topic.valueSerde().deserializer());
    }

    TestOutputTopic<String, Action> actions(String system) {
        return output(topics.actions(system));
    }

    /** Sends raw bytes to reflex.ingest.{source} with the given content type (null for none). */
    void ingest(String source, String contentType, byte[] body, Map<String, String> headers) {
        ingest(source, null, contentType, body, headers);
    }

    /** Sends raw bytes keyed {@code key} (null for none) to reflex.ingest.{source} with the given content type. */
    void ingest(String source, String key, String contentType, byte[] body, Map<String, String> headers) {
        RecordHeaders recordHeaders = new RecordHeaders();
        if (contentType != null) {
            recordHeaders.add(new RecordHeader("content-type", contentType.getBytes(StandardCharsets.UTF_8)));
        }
        headers.forEach((k, v) -> recordHeaders.add(new RecordHeader(k, v.getBytes(StandardCharsets.UTF_8))));
        TestInputTopic<byte[], byte[]> in = driver.createInputTopic(
                topics.names().ingest(source),
                Serdes.ByteArray().serializer(),
                Serdes.ByteArray().serializer());
        in.pipeInput(
                new TestRecord<>(key == null ? null : key.getBytes(StandardCharsets.UTF_8), body, recordHeaders, NOW));
    }

    void ingestJson(String source, String json) {
        ingest(source, "application/json", json.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    Rule applyRule(String yaml) {
        RuleFiles.Loaded loaded = RuleFiles.parse("test.yaml", yaml);
        if (!loaded.ok()) {
            throw new AssertionError(loaded.problems());
        }
        Rule rule = loaded.rules().get(0);
        rules.pipeInput(rule.getId(), rule);
        return rule;
    }

    /** A rule that sends an action to system ops for every timer tick. */
    Rule applyTickRule() {
        return applyRule("""
            id: note-ticks
            when: {source: timer, type: tick}
            then:
              - system: ops
                action: note
            """);
    }

    static <T> List<T> values(TestOutputTopic<?, T> topic) {
        return topic.readValuesToList();
    }
}
