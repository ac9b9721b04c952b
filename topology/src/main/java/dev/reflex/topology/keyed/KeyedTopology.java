package dev.reflex.topology.keyed;

import static dev.reflex.topology.ReflexTopology.CORRELATE;
import static dev.reflex.topology.ReflexTopology.CORRELATE_ACTIONS_SINK;
import static dev.reflex.topology.ReflexTopology.CORRELATE_DECISIONS_SINK;
import static dev.reflex.topology.ReflexTopology.CORRELATE_DLQ_SINK;
import static dev.reflex.topology.ReflexTopology.CORRELATE_FLOWS_SINK;
import static dev.reflex.topology.ReflexTopology.CORRELATE_REGISTER_OPS_SINK;
import static dev.reflex.topology.ReflexTopology.CORRELATE_SOURCE;
import static dev.reflex.topology.ReflexTopology.CORRELATION_DEADLINES_STORE;
import static dev.reflex.topology.ReflexTopology.CORRELATION_STATE_STORE;
import static dev.reflex.topology.ReflexTopology.DECODE_CORRELATE;
import static dev.reflex.topology.ReflexTopology.FLOW_INSTANCES_STORE;
import static dev.reflex.topology.ReflexTopology.FLOW_VERSIONS_STORE;
import static dev.reflex.topology.ReflexTopology.REGISTERS_STORE;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

import dev.reflex.rules.RuleBook;
import dev.reflex.schemas.Action;
import dev.reflex.schemas.CorrelationInput;
import dev.reflex.schemas.CorrelationState;
import dev.reflex.schemas.DeadLetter;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.FlowInstance;
import dev.reflex.schemas.FlowTransition;
import dev.reflex.schemas.RegisterOp;
import dev.reflex.schemas.Topics;
import dev.reflex.topology.ProcessingListener;
import dev.reflex.topology.TopologyOptions;
import dev.reflex.topology.internals.ActionTopicExtractor;
import dev.reflex.topology.internals.DecodeProcessor;
import dev.reflex.topology.internals.Output;
import dev.reflex.topology.internals.RegisterReads;

/** How the keyed part is wired into the topology: its source, decoding, processor, stores and sinks. */
public final class KeyedTopology {
    private KeyedTopology() {}

    /**
     * Correlation in its own sub-topology, reading the internal topic evaluate writes to: keyed by rule and correlation
     * key, so each key has one owner whatever the events were partitioned by. Its sinks are its own, so its tasks stay apart.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static void add(
            Topology topology,
            TopologyOptions options,
            Topics topics,
            RuleBook rules,
            ProcessingListener listener,
            RegisterReads registerReads) {
        Serializer<String> keys = Serdes.String().serializer();
        topology.addSource(
                CORRELATE_SOURCE,
                Serdes.ByteArray().deserializer(),
                Serdes.ByteArray().deserializer(),
                topics.correlate().name());
        topology.addProcessor(
                DECODE_CORRELATE,
                () -> new DecodeProcessor<>(
                        topics.correlate().valueSerde().deserializer(),
                        options.reader(),
                        new DecodeProcessor.Outputs<CorrelationInput>(
                                Output.to(CORRELATE), Output.<DeadLetter>to(CORRELATE_DLQ_SINK))),
                CORRELATE_SOURCE);
        topology.addSink(
                CORRELATE_DLQ_SINK,
                topics.dlq().name(),
                keys,
                (Serializer) listener.observing(topics.dlq().valueSerde().serializer()),
                DECODE_CORRELATE);
        KeyedProcessor.Options correlate =
                new KeyedProcessor.Options(rules, options.instanceId(), listener, options.inputProgress());
        KeyedProcessor.Wiring wiring = new KeyedProcessor.Wiring(
                CORRELATION_STATE_STORE,
                CORRELATION_DEADLINES_STORE,
                FLOW_INSTANCES_STORE,
                FLOW_VERSIONS_STORE,
                REGISTERS_STORE,
                registerReads,
                Output.<Action>to(CORRELATE_ACTIONS_SINK),
                Output.<RegisterOp>to(CORRELATE_REGISTER_OPS_SINK),
                Output.<Decision>to(CORRELATE_DECISIONS_SINK),
                Output.<FlowTransition>to(CORRELATE_FLOWS_SINK));
        topology.addProcessor(CORRELATE, () -> new KeyedProcessor(correlate, wiring), DECODE_CORRELATE);
        topology.addStateStore(
                Stores.keyValueStoreBuilder(
                        Stores.persistentKeyValueStore(CORRELATION_STATE_STORE),
                        Serdes.String(),
                        topics.serdes().value(CorrelationState.class)),
                CORRELATE);
        topology.addStateStore(
                Stores.keyValueStoreBuilder(
                        Stores.persistentKeyValueStore(CORRELATION_DEADLINES_STORE), Serdes.String(), Serdes.String()),
                CORRELATE);
        topology.addStateStore(
                Stores.keyValueStoreBuilder(
                        Stores.persistentKeyValueStore(FLOW_INSTANCES_STORE),
                        Serdes.String(),
                        topics.serdes().value(FlowInstance.class)),
                CORRELATE);
        topology.addStateStore(
                Stores.keyValueStoreBuilder(
                        Stores.persistentKeyValueStore(FLOW_VERSIONS_STORE),
                        Serdes.String(),
                        topics.rules().valueSerde()),
                CORRELATE);
        topology.addSink(
                CORRELATE_FLOWS_SINK,
                topics.flows().name(),
                keys,
                (Serializer) topics.flows().valueSerde().serializer(),
                CORRELATE);
        topology.addSink(
                CORRELATE_ACTIONS_SINK,
                new ActionTopicExtractor(topics.names()),
                keys,
                (Serializer) topics.actions("any").valueSerde().serializer(),
                CORRELATE);
        topology.addSink(
                CORRELATE_REGISTER_OPS_SINK,
                topics.registerOps().name(),
                keys,
                (Serializer) topics.registerOps().valueSerde().serializer(),
                CORRELATE);
        topology.addSink(
                CORRELATE_DECISIONS_SINK,
                topics.decisions().name(),
                keys,
                (Serializer) topics.decisions().valueSerde().serializer(),
                CORRELATE);
    }
}
