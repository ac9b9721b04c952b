package dev.reflex.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import dev.reflex.embedded.testing.TestServices;
import dev.reflex.schemas.KafkaConnection;
import dev.reflex.schemas.TopicAdmin;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.TopicSpec;
import dev.reflex.topology.Partitioning;

/**
 * The barriers against a real broker, with the group's committed offsets set by the test: deadlines wait while the
 * group is behind any input, and a partition that holds nothing to read past the committed offset (an aborted
 * transaction, commit markers) does not hold them back.
 */
@Tag("integration")
class InputBarriersTest {
    private final TopicNames names =
            new TopicNames("b" + UUID.randomUUID().toString().substring(0, 6) + ".");
    private final String group = names.prefix() + "engine";
    private final AtomicLong clock = new AtomicLong(1_000_000);

    private Admin admin() {
        return Admin.create(Map.of("bootstrap.servers", TestServices.kafka().bootstrapServers()));
    }

    private void produce(String topic, int records, boolean abort) {
        Map<String, Object> settings =
                new HashMap<>(Map.of("bootstrap.servers", TestServices.kafka().bootstrapServers()));
        if (abort) {
            settings.put("transactional.id", names.prefix() + "aborted");
        }
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(settings, new ByteArraySerializer(), new ByteArraySerializer())) {
            if (abort) {
                producer.initTransactions();
                producer.beginTransaction();
            }
            for (int i = 0; i < records; i++) {
                producer.send(new ProducerRecord<>(topic, 0, null, new byte[] {1}));
            }
            producer.flush();
            if (abort) {
                producer.abortTransaction();
            }
        }
    }

    private void commit(Admin admin, String topic, long offset) throws Exception {
        commit(admin, group, topic, offset);
    }

    private static void commit(Admin admin, String group, String topic, long offset) throws Exception {
        admin.alterConsumerGroupOffsets(group, Map.of(new TopicPartition(topic, 0), new OffsetAndMetadata(offset)))
                .all()
                .get();
    }

    /** Rounds at 200 ms steps of the clock; a barrier needs one round per stage. */
    private void rounds(InputBarriers barriers, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            clock.addAndGet(200);
            barriers.round();
        }
    }

    @Test
    void deadlinesWaitUntilTheGroupHasReadEveryInputUpToTheBarrierAndAnAbortedTailHoldsNothingBack() throws Exception {
        String ingest = names.ingest("x");
        try (Admin admin = admin()) {
            new TopicAdmin(admin, Optional.of(1), Optional.empty(), 30_000)
                    .ensure(List.of(
                            new TopicSpec(ingest, false),
                            new TopicSpec(names.events(), false),
                            new TopicSpec(names.correlate(), false),
                            new TopicSpec(names.actionResults(), false)));
            produce(ingest, 5, false);
            // reflex.correlate holds only an aborted transaction, which the group never commits past: nothing to read
            // there
            produce(names.correlate(), 3, true);
            commit(admin, ingest, 3);
            try (InputBarriers barriers = new InputBarriers(
                    KafkaConnection.plaintext(TestServices.kafka().bootstrapServers()),
                    group,
                    false,
                    names,
                    Partitioning.AUTO,
                    clock::get)) {
                long first = clock.get() + 200;
                rounds(barriers, 5);
                assertThat(barriers.readUpTo(0))
                        .as("two ingest records not read yet")
                        .isEqualTo(Long.MIN_VALUE);
                assertThat(barriers.behindMs()).isGreaterThanOrEqualTo(800);

                commit(admin, ingest, 5);
                rounds(barriers, 6);
                assertThat(barriers.readUpTo(0))
                        .as("read up to the first barrier, past the aborted tail")
                        .isGreaterThanOrEqualTo(first);

                // a new record on reflex.events the group has not read holds the barriers taken after it
                produce(names.events(), 1, false);
                long before = barriers.readUpTo(0);
                rounds(barriers, 6);
                assertThat(barriers.readUpTo(0)).isLessThanOrEqualTo(clock.get() - 6 * 200 + 200);
                commit(admin, names.events(), 1);
                rounds(barriers, 4);
                assertThat(barriers.readUpTo(0)).isGreaterThan(before + 1_000);
            }
        }
    }

    @Test
    void theTimelinesBarriersWaitForWhatItReadsThenForItsRepartitionTopicAndNotForTheEnginesInput() throws Exception {
        String timeline = names.prefix() + "engine-timeline";
        String repartition = timeline + "-timeline-by-event-repartition";
        String ingest = names.ingest("x");
        try (Admin admin = admin()) {
            new TopicAdmin(admin, Optional.of(1), Optional.empty(), 30_000)
                    .ensure(List.of(
                            new TopicSpec(names.events(), false),
                            new TopicSpec(names.decisions(), false),
                            new TopicSpec(names.flows(), false),
                            new TopicSpec(names.rulesLog(), true),
                            new TopicSpec(repartition, false),
                            new TopicSpec(ingest, false)));
            produce(names.decisions(), 2, false);
            // the engine's input, which the timeline does not read, holds nothing back
            produce(ingest, 4, false);
            try (InputBarriers barriers = InputBarriers.forTimeline(
                    KafkaConnection.plaintext(TestServices.kafka().bootstrapServers()),
                    timeline,
                    false,
                    names,
                    repartition,
                    clock::get)) {
                long first = clock.get() + 200;
                rounds(barriers, 3);
                assertThat(barriers.readUpTo(0)).as("decisions not read yet").isEqualTo(Long.MIN_VALUE);
                // the decisions are read and handed on by event id: the barrier waits for the repartition topic now
                commit(admin, timeline, names.decisions(), 2);
                produce(repartition, 2, false);
                rounds(barriers, 3);
                assertThat(barriers.readUpTo(0))
                        .as("handed on, not attributed yet")
                        .isEqualTo(Long.MIN_VALUE);
                commit(admin, timeline, repartition, 2);
                rounds(barriers, 2);
                assertThat(barriers.readUpTo(0)).isGreaterThanOrEqualTo(first);
            }
        }
    }
}
