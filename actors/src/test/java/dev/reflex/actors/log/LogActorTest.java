package dev.reflex.actors.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import dev.reflex.embedded.testing.TestServices;
import dev.reflex.schemas.Action;
import dev.reflex.schemas.KafkaConnection;
import dev.reflex.schemas.TopicAdmin;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.TopicSpec;
import dev.reflex.schemas.registry.SchemaRegistryClient;
import dev.reflex.schemas.serde.ReflexSerdes;

class LogActorTest {

    private static Action action(String id, String system) {
        return Action.newBuilder()
                .setId(id)
                .setSystem(system)
                .setAction("restart")
                .setTarget("web-1")
                .setParams(Map.of("reason", "oom"))
                .setEventId("e-1")
                .setEventSource("s")
                .setEventType("t")
                .setRuleId("r")
                .setRuleVersion("v1")
                .setCreatedAt(Instant.EPOCH)
                .build();
    }

    @Test
    void printsCommittedActionsOfEverySystemAndNeverAbortedOnes() throws Exception {
        String bootstrap = TestServices.kafka().bootstrapServers();
        TopicNames names = new TopicNames("la" + UUID.randomUUID().toString().substring(0, 8) + ".");
        ReflexSerdes serdes = new ReflexSerdes(
                new SchemaRegistryClient(TestServices.registry().url()), true);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            new TopicAdmin(admin, Optional.of(1), Optional.empty(), 10_000)
                    .ensure(List.of(
                            new TopicSpec(names.actions("ops"), false), new TopicSpec(names.actions("chat"), false)));
        }
        try (KafkaProducer<String, Action> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", bootstrap, "transactional.id", "log-actor-test-" + UUID.randomUUID()),
                new StringSerializer(),
                serdes.value(Action.class).serializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(names.actions("ops"), "web-1", action("aborted", "ops")));
            producer.flush();
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(names.actions("ops"), "web-1", action("first", "ops")));
            producer.send(new ProducerRecord<>(names.actions("chat"), "web-1", action("second", "chat")));
            producer.commitTransaction();
        }
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8);
        try (LogActor actor =
                new LogActor(KafkaConnection.plaintext(bootstrap), "log-actor-test", names, serdes, out).start()) {
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (System.nanoTime() < deadline
                    && buffer.toString(StandardCharsets.UTF_8).lines().count() < 2) {
                Thread.sleep(100);
            }
        }
        List<String> lines =
                buffer.toString(StandardCharsets.UTF_8).lines().sorted().toList();
        assertThat(lines)
                .containsExactly(
                        "[action] chat/restart target=web-1 params={reason=oom} rule=r@v1 event=e-1 id=second",
                        "[action] ops/restart target=web-1 params={reason=oom} rule=r@v1 event=e-1 id=first");
    }
}
