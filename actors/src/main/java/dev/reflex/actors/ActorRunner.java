package dev.reflex.actors;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import dev.reflex.schemas.Action;
import dev.reflex.schemas.ActionResult;
import dev.reflex.schemas.ActionStatus;
import dev.reflex.schemas.KafkaConnection;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.serde.ReflexSerdes;

/**
 * Runs an {@link Executor} over the actions of one system: a consumer group on {@code reflex.actions.<system>} reading
 * committed records only. Each action is executed, then its result and the consumer offset are written in one
 * transaction, so a result is reported once. Execution itself is at least once: if the process dies between doing the
 * work and that commit, the next owner does it again, which is why every request carries the action id as an
 * idempotency key. Actions whose result is already on {@code reflex.action-results} are skipped, not repeated.
 * Closing lets the action in progress finish and commits it.
 */
public final class ActorRunner implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ActorRunner.class);
    private static final int REMEMBERED_RESULTS = 1_000_000;

    private final KafkaConnection kafka;
    private final TopicNames names;
    private final ReflexSerdes serdes;
    private final String system;
    private final Executor executor;
    private final KafkaConsumer<String, byte[]> consumer;
    private final ActionDecoder decoder;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final CountDownLatch done = new CountDownLatch(1);
    private final CountDownLatch ready = new CountDownLatch(1);
    private final Set<String> completed = Collections.newSetFromMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > REMEMBERED_RESULTS;
        }
    });
    private final Thread thread;
    private final MeterRegistry metrics;
    private volatile String failure;
    private final Serializer<ActionResult> results;

    public ActorRunner(
            KafkaConnection kafka,
            TopicNames names,
            ReflexSerdes serdes,
            String system,
            String groupId,
            Executor executor) {
        this(kafka, names, serdes, system, groupId, executor, new SimpleMeterRegistry());
    }

    /** As above, counting actions ({@code reflex.actor.actions} by status) and timing them in {@code metrics}. */
    public ActorRunner(
            KafkaConnection kafka,
            TopicNames names,
            ReflexSerdes serdes,
            String system,
            String groupId,
            Executor executor,
            MeterRegistry metrics) {
        this(kafka, names, serdes, system, groupId, executor, metrics, Map.of());
    }

    /** As above, with Kafka consumer settings for the action consumer (for example session.timeout.ms). */
    public ActorRunner(
            KafkaConnection kafka,
            TopicNames names,
            ReflexSerdes serdes,
            String system,
            String groupId,
            Executor executor,
            MeterRegistry metrics,
            Map<String, ?> consumerSettings) {
        this.metrics = metrics;
        this.kafka = kafka;
        this.names = names;
        this.serdes = serdes;
        this.system = system;
        this.executor = executor;
        this.results = serdes.value(ActionResult.class).serializer();
        // few records per poll: slow actions must not hold many others past max.poll.interval.ms
        this.consumer = ActionConsumers.create(kafka, groupId, 10, consumerSettings);
        this.decoder = new ActionDecoder(names, serdes, "actor " + system);
        this.thread = new Thread(this::run, "actor-" + system);
    }

    public ActorRunner start() {
        thread.start();
        return this;
    }

    /** Waits until earlier results are loaded and the runner polls for actions. */
    public boolean awaitReady(Duration timeout) throws InterruptedException {
        return ready.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Whether the runner is polling for actions. */
    public boolean isRunning() {
        return ready.getCount() == 0 && done.getCount() == 1;
    }

    /** Why the runner stopped by itself, if it did (it was not closed). */
    public Optional<String> failure() {
        return Optional.ofNullable(failure);
    }

    /** Blocks until the runner has stopped (closed, or failed). */
    public void awaitStopped() throws InterruptedException {
        done.await();
    }

    private void run() {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
                kafka.client(
                        ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                        names.actorTransactionalIdPrefix(system) + UUID.randomUUID(),
                        ProducerConfig.MAX_BLOCK_MS_CONFIG,
                        30_000),
                new StringSerializer(),
                new ByteArraySerializer())) {
            loadCompleted();
            producer.initTransactions();
            consumer.subscribe(List.of(names.actions(system)));
            ready.countDown();
            while (running.get()) {
                List<ConsumerRecord<String, byte[]>> batch = new ArrayList<>();
                consumer.poll(Duration.ofMillis(500)).forEach(batch::add);
                for (int i = 0; i < batch.size(); i++) {
                    if (!handle(batch.get(i), producer)) {
                        ActionConsumers.rewind(consumer, batch.subList(i, batch.size()));
                        pause(1_000);
                        break;
                    }
                }
            }
        } catch (WakeupException e) {
            if (running.get()) {
                failure = "woken up unexpectedly";
                LOG.error("actor for {} woken up unexpectedly", system, e);
            }
        } catch (RuntimeException e) {
            failure = e.toString();
            LOG.error("actor for {} stopped", system, e);
        } finally {
            consumer.close(Duration.ofSeconds(5));
            ready.countDown();
            done.countDown();
        }
    }

    /**
     * Executes one action and commits its result with the offset; a record that is no action is dead-lettered in the
     * same transaction. False when the registry is unreachable: the record is read again after a pause.
     */
    private boolean handle(ConsumerRecord<String, byte[]> record, KafkaProducer<String, byte[]> producer) {
        ActionDecoder.Decoded decoded;
        try {
            decoded = decoder.decode(record);
        } catch (RetriableException e) {
            LOG.warn("cannot read actions of {} now ({}); retrying in 1 s", system, e.getMessage());
            return false;
        }
        Action action = decoded.action();
        Map<TopicPartition, OffsetAndMetadata> next = Map.of(
                new TopicPartition(record.topic(), record.partition()), new OffsetAndMetadata(record.offset() + 1));
        producer.beginTransaction();
        if (decoded.deadLetter() != null) {
            producer.send(decoded.deadLetter());
            metrics.counter("reflex.actor.actions", "system", system, "status", "UNREADABLE")
                    .increment();
        } else if (!completed.contains(action.getId())) {
            long started = System.nanoTime();
            Execution execution;
            try {
                execution = executor.execute(action);
            } catch (RuntimeException e) {
                execution = Execution.failed(1, null, null, null, "the actor failed: " + e);
            }
            ActionResult result = ActionResult.newBuilder()
                    .setActionId(action.getId())
                    .setSystem(action.getSystem())
                    .setAction(action.getAction())
                    .setTarget(action.getTarget())
                    .setStatus(execution.status())
                    .setAttempts(execution.attempts())
                    .setDurationMs((System.nanoTime() - started) / 1_000_000)
                    .setHttpStatus(execution.httpStatus())
                    .setExitCode(execution.exitCode())
                    .setOutput(execution.output())
                    .setError(execution.error())
                    .setEventId(action.getEventId())
                    .setRuleId(action.getRuleId())
                    .setCorrelationid(action.getCorrelationid())
                    .setFinishedAt(Instant.now())
                    .build();
            producer.send(new ProducerRecord<>(
                    names.actionResults(), action.getId(), results.serialize(names.actionResults(), result)));
            metrics.counter(
                            "reflex.actor.actions",
                            "system",
                            system,
                            "status",
                            execution.status().name())
                    .increment();
            Timer.builder("reflex.actor.execution")
                    .tag("system", system)
                    .description("Time to do one action, retries included")
                    .publishPercentileHistogram()
                    .minimumExpectedValue(Duration.ofMillis(1))
                    .maximumExpectedValue(Duration.ofMinutes(10))
                    .register(metrics)
                    .record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
            LOG.info(
                    "action {} {}/{} target={} {} after {} attempt(s)",
                    action.getId(),
                    action.getSystem(),
                    action.getAction(),
                    action.getTarget(),
                    execution.status(),
                    execution.attempts());
        } else {
            LOG.info("action {} already completed; skipped", action.getId());
            metrics.counter("reflex.actor.actions", "system", system, "status", "SKIPPED")
                    .increment();
        }
        producer.sendOffsetsToTransaction(next, consumer.groupMetadata());
        producer.commitTransaction();
        if (action != null) {
            completed.add(action.getId());
        }
        return true;
    }

    private void pause(long millis) {
        long until = System.currentTimeMillis() + millis;
        try {
            while (running.get() && System.currentTimeMillis() < until) {
                Thread.sleep(50);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The ids of this system's actions that already have a result, so a redelivered one is not done again. */
    private void loadCompleted() {
        Deserializer<ActionResult> reader = serdes.value(ActionResult.class).deserializer();
        try (KafkaConsumer<String, byte[]> results = new KafkaConsumer<>(
                kafka.client(
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        "read_committed",
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false),
                new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            results.partitionsFor(names.actionResults(), Duration.ofSeconds(30))
                    .forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
            results.assign(partitions);
            results.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = results.endOffsets(partitions, Duration.ofSeconds(30));
            while (running.get() && partitions.stream().anyMatch(p -> results.position(p) < end.get(p))) {
                for (ConsumerRecord<String, byte[]> r : results.poll(Duration.ofMillis(200))) {
                    ActionResult result = readResult(reader, r);
                    if (result != null
                            && result.getSystem().equals(system)
                            && result.getStatus() != ActionStatus.SKIPPED) {
                        completed.add(result.getActionId());
                    }
                }
            }
        }
        LOG.info("actor for {}: {} earlier results loaded", system, completed.size());
    }

    /**
     * A result, or null for a record that is none: the engine, which reads every result, dead-letters it; here it is
     * only logged. While the registry is unreachable this waits, so no completed action is forgotten.
     */
    private ActionResult readResult(Deserializer<ActionResult> reader, ConsumerRecord<String, byte[]> r) {
        while (true) {
            try {
                return reader.deserialize(r.topic(), r.value());
            } catch (SerializationException e) {
                LOG.warn(
                        "skipping unreadable result record {}-{}@{}: {}",
                        r.topic(),
                        r.partition(),
                        r.offset(),
                        e.getMessage());
                return null;
            } catch (RetriableException e) {
                if (!running.get()) {
                    throw e;
                }
                LOG.warn("cannot read results now ({}); retrying in 1 s", e.getMessage());
                pause(1_000);
            }
        }
    }

    @Override
    public void close() {
        running.set(false);
        consumer.wakeup();
        try {
            if (!done.await(60, TimeUnit.SECONDS)) {
                LOG.warn("actor for {} did not stop within 60 s", system);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
