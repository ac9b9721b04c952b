package dev.reflex.bench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

/**
 * What the broker says of a stalled run, partition by partition: the engine group's committed offset, the last stable
 * offset and the high watermark, the producers with a transaction open on it, and the transactions the coordinators
 * know. A partition whose last stable offset stays below its high watermark with a transaction the coordinator does
 * not list as ongoing is a hanging transaction; a committed offset below a last stable offset that does not move is a
 * task that stopped consuming.
 */
final class StallReport {
    private StallReport() {}

    /** Every partition of {@code topics} (names, or name prefixes ending in '*'), with {@code groupId}'s committed offsets. */
    static String of(Admin admin, String groupId, List<String> topics) throws Exception {
        Set<String> all = admin.listTopics().names().get();
        List<String> chosen = all.stream()
                .filter(t -> topics.stream()
                        .anyMatch(p -> p.endsWith("*") ? t.startsWith(p.substring(0, p.length() - 1)) : t.equals(p)))
                .sorted()
                .toList();
        List<TopicPartition> partitions = new ArrayList<>();
        for (TopicDescription d :
                admin.describeTopics(chosen).allTopicNames().get().values()) {
            d.partitions().forEach(p -> partitions.add(new TopicPartition(d.name(), p.partition())));
        }
        Map<TopicPartition, OffsetSpec> latest =
                partitions.stream().collect(Collectors.toMap(p -> p, p -> OffsetSpec.latest()));
        Map<TopicPartition, Long> hw = new HashMap<>();
        admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED))
                .all()
                .get()
                .forEach((tp, i) -> hw.put(tp, i.offset()));
        Map<TopicPartition, Long> lso = new HashMap<>();
        admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
                .all()
                .get()
                .forEach((tp, i) -> lso.put(tp, i.offset()));
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(groupId)
                .partitionsToOffsetAndMetadata()
                .get();
        Map<TopicPartition, List<ProducerState>> open = new HashMap<>();
        admin.describeProducers(partitions)
                .all()
                .get()
                .forEach((tp, d) -> open.put(
                        tp,
                        d.activeProducers().stream()
                                .filter(p -> p.currentTransactionStartOffset().isPresent())
                                .toList()));
        List<TransactionListing> listings =
                new ArrayList<>(admin.listTransactions().all().get());
        Map<String, TransactionDescription> described = listings.isEmpty()
                ? Map.of()
                : admin.describeTransactions(listings.stream()
                                .map(TransactionListing::transactionalId)
                                .toList())
                        .all()
                        .get();

        StringBuilder out = new StringBuilder();
        out.append("partition | committed (")
                .append(groupId)
                .append(") | last stable | high watermark | open transactions\n");
        Map<String, TopicPartition> sorted = new TreeMap<>();
        partitions.forEach(p -> sorted.put(p.topic() + "-" + String.format("%03d", p.partition()), p));
        for (TopicPartition p : sorted.values()) {
            OffsetAndMetadata c = committed.get(p);
            List<ProducerState> producers = open.getOrDefault(p, List.of());
            boolean stalled = lso.get(p) < hw.get(p) || c != null && c.offset() < lso.get(p);
            out.append(stalled ? "* " : "  ")
                    .append(p)
                    .append(" | ")
                    .append(c == null ? "-" : c.offset())
                    .append(" | ")
                    .append(lso.get(p))
                    .append(" | ")
                    .append(hw.get(p))
                    .append(" | ");
            for (ProducerState s : producers) {
                String known = described.entrySet().stream()
                        .filter(e -> e.getValue().producerId() == s.producerId())
                        .map(e -> e.getKey() + " " + e.getValue().state()
                                + (e.getValue().topicPartitions().contains(p) ? "" : " (partition not in it)"))
                        .findFirst()
                        .orElse("no coordinator knows it");
                out.append("producer ")
                        .append(s.producerId())
                        .append(" epoch ")
                        .append(s.producerEpoch())
                        .append(" from offset ")
                        .append(s.currentTransactionStartOffset().getAsLong())
                        .append(", last write ")
                        .append(s.lastTimestamp())
                        .append(": ")
                        .append(known)
                        .append("; ");
            }
            out.append('\n');
        }
        out.append("transactions the coordinators know:\n");
        described.forEach((id, d) -> out.append("  ")
                .append(id)
                .append(' ')
                .append(d.state())
                .append(" producer ")
                .append(d.producerId())
                .append(" epoch ")
                .append(d.producerEpoch())
                .append(" started ")
                .append(d.transactionStartTimeMs())
                .append(" on ")
                .append(d.topicPartitions())
                .append('\n'));
        return out.toString();
    }
}
