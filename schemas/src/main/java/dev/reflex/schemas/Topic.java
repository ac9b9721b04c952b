package dev.reflex.schemas;

import org.apache.kafka.common.serialization.Serde;

/** A topic with the serdes of its records: the only way the engine names a topic. */
public record Topic<K, V>(String name, Serde<K> keySerde, Serde<V> valueSerde) {}
