package dev.reflex.audit.publish;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;

import dev.reflex.audit.history.HistoryReader;
import dev.reflex.rules.files.RuleDiff;
import dev.reflex.rules.files.SystemDiff;
import dev.reflex.schemas.KafkaConnection;
import dev.reflex.schemas.Rule;
import dev.reflex.schemas.SystemDef;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.serde.ReflexSerdes;

/**
 * The live rules and systems: the compacted rules and systems topics read to their end, and changes written to them
 * (and to the rule log) in one transaction.
 */
public final class RulesTopic {
    private final KafkaConnection kafka;
    private final TopicNames names;
    private final ReflexSerdes serdes;

    public RulesTopic(KafkaConnection kafka, TopicNames names, ReflexSerdes serdes) {
        this.kafka = kafka;
        this.names = names;
        this.serdes = serdes;
    }

    /** Every live rule by id, as an engine would hold them (committed records only; a tombstone removes). */
    public Map<String, Rule> read() {
        try (HistoryReader reader = new HistoryReader(kafka, names, serdes)) {
            return reader.liveRules();
        }
    }

    /** Every live system of the catalog by name. */
    public Map<String, SystemDef> readSystems() {
        try (HistoryReader reader = new HistoryReader(kafka, names, serdes)) {
            return reader.liveSystems();
        }
    }

    /** Writes the diff's added and changed rules and systems and tombstones for removed ones, all or nothing. */
    public void write(RuleDiff diff) {
        Serializer<SystemDef> systems = serdes.value(SystemDef.class).serializer();
        Serializer<Rule> rules = serdes.value(Rule.class).serializer();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
                kafka.client(
                        ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                        names.rulesApplyTransactionalIdPrefix() + UUID.randomUUID(),
                        ProducerConfig.MAX_BLOCK_MS_CONFIG,
                        15_000),
                new StringSerializer(),
                new ByteArraySerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            try {
                // the rule log gets the same records in the same transaction: history and live rules never disagree
                for (String topic : List.of(names.rules(), names.rulesLog())) {
                    for (Rule rule : diff.added()) {
                        producer.send(new ProducerRecord<>(topic, rule.getId(), rules.serialize(topic, rule)));
                    }
                    for (RuleDiff.Change change : diff.changed()) {
                        producer.send(new ProducerRecord<>(
                                topic, change.next().getId(), rules.serialize(topic, change.next())));
                    }
                    for (Rule rule : diff.removed()) {
                        producer.send(new ProducerRecord<>(topic, rule.getId(), null));
                    }
                }
                String topic = names.systems();
                for (SystemDef system : diff.systems().added()) {
                    producer.send(new ProducerRecord<>(topic, system.getName(), systems.serialize(topic, system)));
                }
                for (SystemDiff.Change change : diff.systems().changed()) {
                    producer.send(new ProducerRecord<>(
                            topic, change.next().getName(), systems.serialize(topic, change.next())));
                }
                for (SystemDef system : diff.systems().removed()) {
                    producer.send(new ProducerRecord<>(topic, system.getName(), null));
                }
                producer.commitTransaction();
            } catch (KafkaException e) {
                producer.abortTransaction();
                throw new IllegalStateException("applying rules failed, nothing was changed: " + e.getMessage(), e);
            }
        }
    }
}
