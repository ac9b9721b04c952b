package dev.reflex.audit;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.StringSerializer;

import dev.reflex.rules.RuleDiff;
import dev.reflex.schemas.Rule;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.serde.ReflexSerdes;

/** The live rules: the compacted rules topic read to its end, and changes written to it in one transaction. */
public final class RulesTopic {
    private final dev.reflex.schemas.KafkaConnection kafka;
    private final TopicNames names;
    private final ReflexSerdes serdes;

    public RulesTopic(dev.reflex.schemas.KafkaConnection kafka, TopicNames names, ReflexSerdes serdes) {
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

    /** Writes the diff's added and changed rules and tombstones for removed ones, all or nothing. */
    public void write(RuleDiff diff) {
        try (KafkaProducer<String, Rule> producer = new KafkaProducer<>(kafka.client(
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, names.rulesApplyTransactionalIdPrefix() + UUID.randomUUID(),
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 15_000),
                new StringSerializer(), serdes.value(Rule.class).serializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            try {
                // the rule log gets the same records in the same transaction: history and live rules never disagree
                for (String topic : List.of(names.rules(), names.rulesLog())) {
                    for (Rule rule : diff.added()) {
                        producer.send(new ProducerRecord<>(topic, rule.getId(), rule));
                    }
                    for (RuleDiff.Change change : diff.changed()) {
                        producer.send(new ProducerRecord<>(topic, change.next().getId(), change.next()));
                    }
                    for (Rule rule : diff.removed()) {
                        producer.send(new ProducerRecord<>(topic, rule.getId(), null));
                    }
                }
                producer.commitTransaction();
            } catch (KafkaException e) {
                producer.abortTransaction();
                throw new IllegalStateException("applying rules failed, nothing was changed: " + e.getMessage(), e);
            }
        }
    }
}
