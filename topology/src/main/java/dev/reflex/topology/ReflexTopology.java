package dev.reflex.topology;

import java.time.Duration;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

import dev.reflex.rules.RuleBook;
import dev.reflex.schemas.Action;
import dev.reflex.schemas.ActionResult;
import dev.reflex.schemas.CorrelationInput;
import dev.reflex.schemas.DeadLetter;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.RawEvent;
import dev.reflex.schemas.Register;
import dev.reflex.schemas.RegisterOp;
import dev.reflex.schemas.Topic;
import dev.reflex.schemas.Topics;
import dev.reflex.topology.internals.ActionTopicExtractor;
import dev.reflex.topology.internals.DecodeProcessor;
import dev.reflex.topology.internals.DeduplicateProcessor;
import dev.reflex.topology.internals.EvaluateProcessor;
import dev.reflex.topology.internals.NormalizeProcessor;
import dev.reflex.topology.internals.Output;
import dev.reflex.topology.internals.RegisterOpProcessor;
import dev.reflex.topology.internals.RegisterReads;
import dev.reflex.topology.internals.ResultProcessor;
import dev.reflex.topology.internals.RuleLoader;
import dev.reflex.topology.internals.TableLoader;
import dev.reflex.topology.keyed.KeyedTopology;
import dev.reflex.topology.normalize.Normalizer;

/**
 * The engine's topology, a pure function of its configuration: no I/O happens here, so tests drive exactly what
 * production runs.
 *
 * <pre>
 * reflex.ingest.*  -> normalize -> reflex.events | reflex.dlq
 *                            \-> deduplicate-at-ingest (store seen-events-at-ingest) -> evaluate-at-ingest -> (as below)
 *   (an event whose ingest record is keyed as reflex.events keys it, by subject, is evaluated here and marked so;
 *    reflex.evaluate.partitioning=auto, the default)
 * (reflex.events, reflex.action-results and reflex.register-ops are read as bytes and decoded by decode-* nodes, which
 *  dead-letter what they cannot read)
 * reflex.action-results -> results-to-events -> reflex.events (source reflex, type action.succeeded / action.failed)
 *                                         \-> deduplicate-at-ingest (the same, when keyed by the result's target)
 * reflex.events    -> deduplicate (store seen-events) -> evaluate -> reflex.actions.&lt;system&gt; | reflex.register-ops | reflex.decisions
 *   (events marked as evaluated at ingest are passed over; with reflex.evaluate.partitioning=subject nothing is
 *    evaluated at ingest; with ingest, everything is, by nodes named without "-at-ingest", and reflex.events is not read)
 *   (events that match a correlation rule: evaluate -> reflex.correlate, keyed by rule id/correlation key)
 *   (and events that start a flow, that a flow's wait step listens to, or that are a flow action's result)
 * reflex.correlate -> correlate (stores correlation-state, correlation-deadlines, flow-instances, flow-versions;
 *                     wall-clock punctuator) -> reflex.actions.&lt;system&gt; | reflex.register-ops | reflex.decisions | reflex.flows
 * reflex.register-ops -> apply-register-ops (store register-values) -> reflex.registers
 * reflex.rules     -> global store rules (and the compiled rule book)
 * reflex.registers -> global store registers (read by evaluate)
 * </pre>
 *
 * Every node and store is named here; renaming one breaks state on upgrade, which the golden test guards.
 */
public final class ReflexTopology {
    public static final String INGEST_SOURCE = "ingest-source";
    public static final String NORMALIZE = "normalize";
    public static final String EVENTS_SINK = "events-sink";
    public static final String RESULTS_SOURCE = "action-results-source";
    public static final String RESULTS_TO_EVENTS = "results-to-events";
    public static final String DECODE_RESULTS = "decode-action-results";
    public static final String DECODE_EVENTS = "decode-events";
    public static final String DECODE_REGISTER_OPS = "decode-register-ops";
    /** One dead-letter sink per sub-topology: a sink shared by two would merge them into one (and move their tasks). */
    public static final String EVENTS_DLQ_SINK = "events-dlq-sink";

    public static final String REGISTER_OPS_DLQ_SINK = "register-ops-dlq-sink";
    public static final String DLQ_SINK = "dlq-sink";
    public static final String EVENTS_SOURCE = "events-source";
    public static final String DEDUPLICATE = "deduplicate";
    public static final String EVALUATE = "evaluate";
    public static final String ACTIONS_SINK = "actions-sink";
    public static final String REGISTER_OPS_SINK = "register-ops-sink";
    public static final String DECISIONS_SINK = "decisions-sink";
    public static final String REGISTER_OPS_SOURCE = "register-ops-source";
    public static final String APPLY_REGISTER_OPS = "apply-register-ops";
    public static final String REGISTERS_SINK = "registers-sink";
    public static final String REGISTER_VALUES_STORE = "register-values";
    public static final String RULES_SOURCE = "rules-source";
    public static final String LOAD_RULES = "load-rules";
    public static final String RULES_STORE = "rules";
    public static final String REGISTERS_SOURCE = "registers-source";
    public static final String LOAD_REGISTERS = "load-registers";
    public static final String REGISTERS_STORE = "registers";
    public static final String SEEN_EVENTS_STORE = "seen-events";
    public static final String CORRELATE_SINK = "correlate-sink";
    public static final String CORRELATE_SOURCE = "correlate-source";
    public static final String DECODE_CORRELATE = "decode-correlate";
    public static final String CORRELATE = "correlate";
    public static final String CORRELATE_DLQ_SINK = "correlate-dlq-sink";
    public static final String CORRELATE_ACTIONS_SINK = "correlate-actions-sink";
    public static final String CORRELATE_REGISTER_OPS_SINK = "correlate-register-ops-sink";
    public static final String CORRELATE_DECISIONS_SINK = "correlate-decisions-sink";
    public static final String CORRELATION_STATE_STORE = "correlation-state";
    public static final String CORRELATION_DEADLINES_STORE = "correlation-deadlines";
    public static final String FLOW_INSTANCES_STORE = "flow-instances";
    public static final String FLOW_VERSIONS_STORE = "flow-versions";
    public static final String CORRELATE_FLOWS_SINK = "correlate-flows-sink";
    /** What tells the nodes evaluating at ingest apart when events are also evaluated from reflex.events (partitioning auto). */
    public static final String AT_INGEST = "-at-ingest";

    private ReflexTopology() {}

    /**
     * Duplicate detection, evaluation and their sinks, fed by {@code parents}; {@code suffix} tells the nodes and the store
     * of a second evaluation apart from the first (each sub-topology has its own, or the two would become one).
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void addEvaluation(
            Topology topology,
            TopologyOptions options,
            Topics topics,
            RuleBook rules,
            ProcessingListener listener,
            RegisterReads registerReads,
            String suffix,
            String... parents) {
        Serializer<String> keys = Serdes.String().serializer();
        String deduplicate = DEDUPLICATE + suffix;
        String evaluate = EVALUATE + suffix;
        String store = SEEN_EVENTS_STORE + suffix;
        Duration dedupRetention = options.dedupRetention();
        topology.addProcessor(
                deduplicate,
                () -> new DeduplicateProcessor(
                        new DeduplicateProcessor.Wiring(store, dedupRetention, Output.to(evaluate))),
                parents);
        topology.addStateStore(DeduplicateProcessor.store(store, dedupRetention), deduplicate);

        EvaluateProcessor.Options evaluateOptions = new EvaluateProcessor.Options(
                rules, options.instanceId(), options.ruleSlowBudget(), options.unmatched(), listener);
        EvaluateProcessor.Wiring wiring = new EvaluateProcessor.Wiring(
                REGISTERS_STORE,
                registerReads,
                Output.<Action>to(ACTIONS_SINK + suffix),
                Output.<RegisterOp>to(REGISTER_OPS_SINK + suffix),
                Output.<Decision>to(DECISIONS_SINK + suffix),
                Output.<CorrelationInput>to(CORRELATE_SINK + suffix));
        topology.addProcessor(evaluate, () -> new EvaluateProcessor(evaluateOptions, wiring), deduplicate);
        Topic<String, Action> anyActions = topics.actions("any");
        topology.addSink(
                ACTIONS_SINK + suffix,
                new ActionTopicExtractor(topics.names()),
                keys,
                (Serializer) anyActions.valueSerde().serializer(),
                evaluate);
        topology.addSink(
                REGISTER_OPS_SINK + suffix,
                topics.registerOps().name(),
                keys,
                (Serializer) topics.registerOps().valueSerde().serializer(),
                evaluate);
        topology.addSink(
                DECISIONS_SINK + suffix,
                topics.decisions().name(),
                keys,
                (Serializer) topics.decisions().valueSerde().serializer(),
                evaluate);
        topology.addSink(
                CORRELATE_SINK + suffix,
                topics.correlate().name(),
                keys,
                (Serializer) topics.correlate().valueSerde().serializer(),
                evaluate);
    }

    /** The topology with no one listening; unreadable records of the rules and registers topics go to {@code deadLetters}. */
    public static Topology build(
            TopologyOptions options, Topics topics, RuleBook rules, GlobalDeadLetters deadLetters) {
        return build(options, topics, rules, ProcessingListener.NONE, deadLetters);
    }

    /**
     * The topology evaluating with {@code rules} (filled from the rules topic) and telling {@code listener} of the
     * events it makes, the decisions it records and the records it dead-letters; records of the rules and registers
     * topics that cannot be read go to {@code deadLetters}.
     * Processors get typed outputs; every node name and every wire is here.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static Topology build(
            TopologyOptions options,
            Topics topics,
            RuleBook rules,
            ProcessingListener listener,
            GlobalDeadLetters globalDeadLetters) {
        GlobalDeadLetters deadLetters = letter -> {
            globalDeadLetters.send(letter);
            listener.deadLettered(letter);
        };
        Topology topology = new Topology();
        Serializer<String> keys = Serdes.String().serializer();
        String reader = options.reader();
        // shared by the global thread's loader of the registers store and every stream thread's readers of it
        RegisterReads registerReads = new RegisterReads();
        Partitioning partitioning = options.partitioning();
        // AUTO evaluates in both places, so the nodes evaluating at ingest get names of their own; INGEST keeps the
        // plain ones
        String atIngest = partitioning == Partitioning.AUTO ? AT_INGEST : "";
        Output<Event> evaluateHere = partitioning == Partitioning.SUBJECT ? null : Output.to(DEDUPLICATE + atIngest);

        Normalizer normalizer = new Normalizer(
                topics.names(),
                options.maxEventBytes(),
                options.fieldMappings(),
                bytes -> topics.serdes()
                        .value(RawEvent.class)
                        .deserializer()
                        .deserialize(topics.names().ingestPrefix() + "*", bytes));
        topology.addSource(
                INGEST_SOURCE,
                Serdes.ByteArray().deserializer(),
                Serdes.ByteArray().deserializer(),
                topics.names().ingestPattern());
        topology.addProcessor(
                NORMALIZE,
                () -> new NormalizeProcessor(
                        normalizer,
                        reader,
                        listener,
                        partitioning,
                        new NormalizeProcessor.Outputs(Output.to(EVENTS_SINK), evaluateHere, Output.to(DLQ_SINK))),
                INGEST_SOURCE);
        // Reflex's own Avro topics are read as bytes and decoded by a processor, so a bad record is dead-lettered as a
        // processed record (see DecodeProcessor)
        topology.addSource(
                RESULTS_SOURCE,
                Serdes.ByteArray().deserializer(),
                Serdes.ByteArray().deserializer(),
                topics.actionResults().name());
        topology.addProcessor(
                DECODE_RESULTS,
                () -> new DecodeProcessor<>(
                        topics.actionResults().valueSerde().deserializer(),
                        reader,
                        new DecodeProcessor.Outputs<ActionResult>(Output.to(RESULTS_TO_EVENTS), Output.to(DLQ_SINK))),
                RESULTS_SOURCE);
        topology.addProcessor(
                RESULTS_TO_EVENTS,
                () -> new ResultProcessor(Output.to(EVENTS_SINK), evaluateHere, partitioning, listener),
                DECODE_RESULTS);
        topology.addSink(
                EVENTS_SINK,
                topics.events().name(),
                keys,
                (Serializer) topics.events().valueSerde().serializer(),
                NORMALIZE,
                RESULTS_TO_EVENTS);

        if (partitioning != Partitioning.INGEST) {
            topology.addSource(
                    EVENTS_SOURCE,
                    Serdes.ByteArray().deserializer(),
                    Serdes.ByteArray().deserializer(),
                    topics.events().name());
            // events evaluated where they were normalized are passed over, whatever this setting was when they were
            topology.addProcessor(
                    DECODE_EVENTS,
                    () -> new DecodeProcessor<>(
                            topics.events().valueSerde().deserializer(),
                            reader,
                            new DecodeProcessor.Outputs<Event>(Output.to(DEDUPLICATE), Output.to(EVENTS_DLQ_SINK)),
                            Partitioning::wasEvaluated),
                    EVENTS_SOURCE);
            topology.addSink(
                    EVENTS_DLQ_SINK,
                    topics.dlq().name(),
                    keys,
                    (Serializer) listener.observing(topics.dlq().valueSerde().serializer()),
                    DECODE_EVENTS);
            addEvaluation(topology, options, topics, rules, listener, registerReads, "", DECODE_EVENTS);
        }
        if (partitioning != Partitioning.SUBJECT) {
            addEvaluation(
                    topology, options, topics, rules, listener, registerReads, atIngest, NORMALIZE, RESULTS_TO_EVENTS);
        }

        topology.addSource(
                REGISTER_OPS_SOURCE,
                Serdes.ByteArray().deserializer(),
                Serdes.ByteArray().deserializer(),
                topics.registerOps().name());
        topology.addProcessor(
                DECODE_REGISTER_OPS,
                () -> new DecodeProcessor<>(
                        topics.registerOps().valueSerde().deserializer(),
                        reader,
                        new DecodeProcessor.Outputs<RegisterOp>(
                                Output.to(APPLY_REGISTER_OPS), Output.<DeadLetter>to(REGISTER_OPS_DLQ_SINK))),
                REGISTER_OPS_SOURCE);
        topology.addSink(
                REGISTER_OPS_DLQ_SINK,
                topics.dlq().name(),
                keys,
                (Serializer) listener.observing(topics.dlq().valueSerde().serializer()),
                DECODE_REGISTER_OPS);
        topology.addProcessor(
                APPLY_REGISTER_OPS,
                () -> new RegisterOpProcessor(
                        options.registerExpiryScan(),
                        new RegisterOpProcessor.Wiring(REGISTER_VALUES_STORE, Output.to(REGISTERS_SINK))),
                DECODE_REGISTER_OPS);
        topology.addStateStore(
                Stores.keyValueStoreBuilder(
                        Stores.persistentKeyValueStore(REGISTER_VALUES_STORE),
                        Serdes.String(),
                        topics.registers().valueSerde()),
                APPLY_REGISTER_OPS);
        topology.addSink(
                REGISTERS_SINK,
                topics.registers().name(),
                keys,
                topics.registers().valueSerde().serializer(),
                APPLY_REGISTER_OPS);

        // after the sub-topologies that were there before it, so their numbers (and task ids) stay as they were
        KeyedTopology.add(topology, options, topics, rules, listener, registerReads);

        topology.addSink(
                DLQ_SINK,
                topics.dlq().name(),
                keys,
                (Serializer) listener.observing(topics.dlq().valueSerde().serializer()),
                NORMALIZE,
                DECODE_RESULTS);

        topology.addGlobalStore(
                Stores.keyValueStoreBuilder(
                                Stores.inMemoryKeyValueStore(RULES_STORE),
                                Serdes.String(),
                                topics.rules().valueSerde())
                        .withLoggingDisabled(),
                RULES_SOURCE,
                Serdes.ByteArray().deserializer(),
                Serdes.ByteArray().deserializer(),
                topics.rules().name(),
                LOAD_RULES,
                () -> new RuleLoader(
                        rules, RULES_STORE, topics.rules().valueSerde().deserializer(), reader, deadLetters));
        topology.addGlobalStore(
                Stores.keyValueStoreBuilder(
                                Stores.persistentKeyValueStore(REGISTERS_STORE),
                                Serdes.String(),
                                topics.registers().valueSerde())
                        .withLoggingDisabled(),
                REGISTERS_SOURCE,
                Serdes.ByteArray().deserializer(),
                Serdes.ByteArray().deserializer(),
                topics.registers().name(),
                LOAD_REGISTERS,
                () -> new TableLoader<Register>(
                        REGISTERS_STORE,
                        topics.registers().valueSerde().deserializer(),
                        LOAD_REGISTERS,
                        reader,
                        deadLetters,
                        registerReads));
        return topology;
    }
}
