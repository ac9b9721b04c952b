package dev.reflex.topology.timeline;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.Stores;

import dev.reflex.schemas.Rule;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.Topics;
import dev.reflex.topology.GlobalDeadLetters;
import dev.reflex.topology.InputProgress;

/**
 * The timeline: a Kafka Streams application of its own beside the engine's (its own application id, group and internal
 * topics), so the engine's tasks are untouched. It follows {@code reflex.events}, {@code reflex.decisions},
 * {@code reflex.flows} and {@code reflex.rules.log}, turns each record into timeline inputs keyed by event id, moves
 * them through one repartition topic so that an event and everything that came of it meet in one task, and there
 * puts them on the timelines of the event's systems (catalog from {@code reflex.systems}, a global store).
 *
 * <p>Stores, all changelogged; the time-indexed ones are window stores whose segments expire after the retention:
 * <ul>
 *   <li>{@value #TIMELINE_STORE}: system to entry, at the entry's time (a system's timeline is a backward fetch);</li>
 *   <li>{@value #STATE_STORE}: system to the entries that make its state now (alerts, flow transitions, action results),
 *   a small copy of {@value #TIMELINE_STORE} read by {@link SystemState};</li>
 *   <li>{@value #RECURRENCE_STORE}: type and subject to event id with its systems ("has this happened before", see {@link Recurrence});</li>
 *   <li>{@value #STORIES_STORE}: event id to its {@link EventStory}'s head, and each of its entries beside it under
 *   {@link EventStory#entryKey};</li>
 *   <li>{@value #PENDING_STORE}: inputs that came before their event and need it to be placed.</li>
 * </ul>
 * Each task holds the entries of its events, so a system's timeline is the merge of every task's (the API does that).
 */
public final class TimelineTopology {
    /** The timeline every entry is also put on. */
    public static final String ALL = "*";

    public static final String TIMELINE_STORE = "timeline";
    public static final String RECURRENCE_STORE = "timeline-recurrence";
    public static final String STATE_STORE = "timeline-state";
    public static final String STORIES_STORE = "timeline-stories";
    public static final String PENDING_STORE = "timeline-pending";
    public static final String SYSTEMS_STORE = "timeline-systems";
    public static final String REPARTITION = "timeline-by-event";

    /** The topics the timeline's application reads through its group (the systems topic is a global store). */
    public static List<String> inputTopics(TopicNames names) {
        return List.of(names.events(), names.decisions(), names.flows(), names.rulesLog());
    }

    /** The repartition topic by event id of the timeline's application {@code applicationId}. */
    public static String repartitionTopic(String applicationId) {
        return applicationId + "-" + REPARTITION + "-repartition";
    }

    /**
     * @param retention   how long entries are kept (window store retention)
     * @param pendingWait how long a decision, result or transition waits for its event at most before it is attributed
     *                    by its own attributes
     * @param progress    how far the timeline's input has been read, per partition of its repartition topic: an input
     *                    that came before its event waits until everything that reached Kafka before it has been read
     *                    (its event, if there is one, is then on the timeline)
     * @param reader      who reads, for dead letters (the engine instance)
     */
    public record Options(Duration retention, Duration pendingWait, InputProgress progress, String reader) {
        public Options {
            Objects.requireNonNull(retention, "retention");
            Objects.requireNonNull(pendingWait, "pendingWait");
            Objects.requireNonNull(progress, "progress");
            if (retention.toMillis() < 60_000) {
                throw new IllegalArgumentException("the timeline's retention must be a minute or more");
            }
        }
    }

    private TimelineTopology() {}

    public static Topology build(
            Topics topics,
            Options options,
            SystemBook systems,
            GlobalDeadLetters deadLetters,
            TimelineListener listener) {
        StreamsBuilder builder = new StreamsBuilder();
        builder.addGlobalStore(
                Stores.keyValueStoreBuilder(
                                Stores.inMemoryKeyValueStore(SYSTEMS_STORE),
                                Serdes.String(),
                                topics.systems().valueSerde())
                        .withLoggingDisabled(),
                topics.systems().name(),
                Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("timeline-systems-source"),
                () -> new SystemsLoader(
                        systems, topics.systems().valueSerde().deserializer(), options.reader(), deadLetters));
        builder.addStateStore(Stores.windowStoreBuilder(
                Stores.persistentWindowStore(TIMELINE_STORE, options.retention(), Duration.ofMillis(1), true),
                Serdes.String(),
                Serdes.ByteArray()));
        builder.addStateStore(Stores.windowStoreBuilder(
                Stores.persistentWindowStore(STATE_STORE, options.retention(), Duration.ofMillis(1), true),
                Serdes.String(),
                Serdes.ByteArray()));
        builder.addStateStore(Stores.windowStoreBuilder(
                Stores.persistentWindowStore(RECURRENCE_STORE, options.retention(), Duration.ofMillis(1), true),
                Serdes.String(),
                Serdes.String()));
        builder.addStateStore(Stores.windowStoreBuilder(
                Stores.persistentWindowStore(STORIES_STORE, options.retention(), Duration.ofMillis(1), false),
                Serdes.String(),
                Serdes.ByteArray()));
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(PENDING_STORE), Serdes.String(), Serdes.ByteArray()));

        String reader = options.reader();
        KStream<String, byte[]> events = read(
                builder,
                topics.events().name(),
                "timeline-read-events",
                () -> new ReadProcessor<>(
                        topics.events().valueSerde().deserializer(),
                        (r, e) -> TimelineInputs.of(e, r.timestamp()),
                        false,
                        "timeline-read-events",
                        reader,
                        deadLetters));
        KStream<String, byte[]> decisions = read(
                builder,
                topics.decisions().name(),
                "timeline-read-decisions",
                () -> new ReadProcessor<>(
                        topics.decisions().valueSerde().deserializer(),
                        (r, d) -> List.of(TimelineInputs.of(d)),
                        false,
                        "timeline-read-decisions",
                        reader,
                        deadLetters));
        KStream<String, byte[]> flows = read(
                builder,
                topics.flows().name(),
                "timeline-read-flows",
                () -> new ReadProcessor<>(
                        topics.flows().valueSerde().deserializer(),
                        (r, t) -> List.of(TimelineInputs.of(t)),
                        false,
                        "timeline-read-flows",
                        reader,
                        deadLetters));
        KStream<String, byte[]> rules = read(
                builder,
                topics.rulesLog().name(),
                "timeline-read-rules",
                () -> new ReadProcessor<>(
                        topics.rulesLog().valueSerde().deserializer(),
                        TimelineTopology::ruleChange,
                        true,
                        "timeline-read-rules",
                        reader,
                        deadLetters));
        events.merge(decisions, Named.as("timeline-merge-decisions"))
                .merge(flows, Named.as("timeline-merge-flows"))
                .merge(rules, Named.as("timeline-merge-rules"))
                .repartition(Repartitioned.<String, byte[]>with(Serdes.String(), Serdes.ByteArray())
                        .withName(REPARTITION))
                .process(
                        () -> new AttributeProcessor(
                                systems, options.pendingWait(), options.progress(), deadLetters, reader, listener),
                        Named.as("timeline-attribute"),
                        TIMELINE_STORE,
                        STATE_STORE,
                        RECURRENCE_STORE,
                        STORIES_STORE,
                        PENDING_STORE);
        return builder.build();
    }

    private static KStream<String, byte[]> read(
            StreamsBuilder builder,
            String topic,
            String name,
            ProcessorSupplier<byte[], byte[], String, byte[]> reader) {
        return builder.stream(
                        topic,
                        Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName(name + "-source"))
                .process(reader, Named.as(name));
    }

    private static List<KeyValue<String, TimelineInput>> ruleChange(Record<String, Rule> record, Rule rule) {
        if (record.key() == null) {
            throw new IllegalArgumentException("a record without key on the rule log: the key must be the rule id");
        }
        return List.of(TimelineInputs.ofRule(record.key(), rule, record.timestamp()));
    }
}
