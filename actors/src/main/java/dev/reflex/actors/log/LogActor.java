package dev.reflex.actors.log;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.reflex.actors.ActionConsumers;
import dev.reflex.actors.ActionDecoder;
import dev.reflex.schemas.Action;
import dev.reflex.schemas.ActionResult;
import dev.reflex.schemas.ActionStatus;
import dev.reflex.schemas.KafkaConnection;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.serde.ReflexSerdes;

/**
 * Prints every action on every {@code reflex.actions.<system>} topic, one line each: the actor {@code reflex dev}
 * runs so a new user sees what the rules decided. Reads committed records only, as every actor does, and commits
 * after printing.
 */
public final class LogActor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LogActor.class);

    private final KafkaConsumer<String, byte[]> consumer;
    private final KafkaProducer<String, byte[]> producer;
    private final ActionDecoder decoder;
    private final TopicNames names;
    private final PrintStream out;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final CountDownLatch done = new CountDownLatch(1);
    private final Thread thread;

    public LogActor(KafkaConnection kafka, String groupId, TopicNames names, ReflexSerdes serdes, PrintStream out) {
        this(kafka, groupId, names, serdes, out, Map.of());
    }

    /** As above, with Kafka consumer settings for the action consumer (for example group.instance.id). */
    public LogActor(
            KafkaConnection kafka,
            String groupId,
            TopicNames names,
            ReflexSerdes serdes,
            PrintStream out,
            Map<String, ?> consumerSettings) {
        this.names = names;
        this.out = out;
        this.consumer = ActionConsumers.create(kafka, groupId, 500, consumerSettings);
        this.decoder = new ActionDecoder(names, serdes, "log actor");
        this.producer = new KafkaProducer<>(
                kafka.client(
                        ProducerConfig.ACKS_CONFIG,
                        "all",
                        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                        true,
                        ProducerConfig.MAX_BLOCK_MS_CONFIG,
                        10_000),
                new StringSerializer(),
                new ByteArraySerializer());
        this.thread = new Thread(this::run, "log-actor");
    }

    private Predicate<String> reports = system -> false;
    private Serializer<ActionResult> results;

    /**
     * Also reports each printed action of a system {@code systems} accepts as succeeded, as an actor would: for
     * {@code reflex dev}, where the log actor stands in for every system without a real actor, so flows move on.
     */
    public LogActor reportingFor(Predicate<String> systems, ReflexSerdes serdes) {
        this.reports = systems;
        this.results = serdes.value(ActionResult.class).serializer();
        return this;
    }

    public LogActor start() {
        thread.start();
        return this;
    }

    private void run() {
        try {
            consumer.subscribe(names.actionsPattern());
            while (running.get()) {
                List<ConsumerRecord<String, byte[]>> batch = new ArrayList<>();
                consumer.poll(Duration.ofMillis(500)).forEach(batch::add);
                for (int i = 0; i < batch.size(); i++) {
                    if (!print(batch.get(i))) {
                        ActionConsumers.rewind(consumer, batch.subList(i, batch.size()));
                        pause();
                        break;
                    }
                }
                if (!batch.isEmpty()) {
                    consumer.commitSync();
                }
            }
        } catch (WakeupException e) {
            if (running.get()) {
                throw e;
            }
        } catch (RuntimeException e) {
            LOG.error("the log actor stopped", e);
        } finally {
            consumer.close(Duration.ofSeconds(5));
            producer.close(Duration.ofSeconds(5));
            done.countDown();
        }
    }

    /** Prints the action, or dead-letters a record that is none; false when that must be tried again later. */
    private boolean print(ConsumerRecord<String, byte[]> record) {
        try {
            ActionDecoder.Decoded decoded = decoder.decode(record);
            if (decoded.action() != null) {
                Action action = decoded.action();
                if (reports.test(action.getSystem())) {
                    ActionResult result = ActionResult.newBuilder()
                            .setActionId(action.getId())
                            .setSystem(action.getSystem())
                            .setAction(action.getAction())
                            .setTarget(action.getTarget())
                            .setStatus(ActionStatus.SUCCEEDED)
                            .setAttempts(1)
                            .setOutput("printed by the log actor")
                            .setEventId(action.getEventId())
                            .setRuleId(action.getRuleId())
                            .setCorrelationid(action.getCorrelationid())
                            .setFinishedAt(Instant.now())
                            .build();
                    producer.send(new ProducerRecord<>(
                                    names.actionResults(),
                                    action.getId(),
                                    results.serialize(names.actionResults(), result)))
                            .get(30, TimeUnit.SECONDS);
                }
                out.println(format(action));
                return true;
            }
            producer.send(decoded.deadLetter()).get(30, TimeUnit.SECONDS);
            out.println("[dead letter] " + record.topic() + "-" + record.partition() + "@" + record.offset()
                    + " is no action; sent to " + names.dlq());
            return true;
        } catch (RetriableException | ExecutionException | TimeoutException e) {
            LOG.warn(
                    "cannot print or dead-letter {}-{}@{} now ({}); retrying in 1 s",
                    record.topic(),
                    record.partition(),
                    record.offset(),
                    e.getMessage());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void pause() {
        try {
            for (int i = 0; i < 20 && running.get(); i++) {
                Thread.sleep(50);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One line per action, stable field order, for people and for grep. */
    public static String format(Action action) {
        return "[action] " + action.getSystem() + "/" + action.getAction()
                + " target=" + action.getTarget()
                + " params=" + new TreeMap<>(action.getParams())
                + " rule=" + action.getRuleId() + "@" + action.getRuleVersion()
                + " event=" + action.getEventId()
                + " id=" + action.getId();
    }

    @Override
    public void close() {
        running.set(false);
        consumer.wakeup();
        try {
            done.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
