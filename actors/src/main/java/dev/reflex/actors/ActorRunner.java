package dev.reflex.actors;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
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
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import dev.reflex.schemas.Action;
import dev.reflex.schemas.ActionResult;
import dev.reflex.schemas.ActionStatus;
import dev.reflex.schemas.KafkaConnection;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.serde.ReflexSerdes;

/**
 * Runs an {@link Executor} over the actions of one system: a consumer group on {@code reflex.actions.<system>} reading
 * committed records only. Up to {@code concurrency} actions run at once on worker threads, never two of one target, and
 * a target's actions in the engine's order ({@link ActionQueue}). Results are written with the consumer offsets in one
 * transaction, a partition's done prefix at a time, so each result is reported once: an action done while an earlier
 * one of its partition runs waits for it. Execution itself is at least once: if the process dies between doing the
 * work and that commit, the next owner does it again, which is why every request carries the action id as an
 * idempotency key. Actions whose result is already on {@code reflex.action-results} are skipped, not repeated.
 * When partitions are revoked, their running actions finish and are committed first; closing lets every running
 * action finish and commits it.
 */
public final class ActorRunner implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ActorRunner.class);
    private static final int REMEMBERED_RESULTS = 1_000_000;
    /** How long a revocation or a stop waits for running actions before leaving them to the next owner. */
    private static final Duration DRAIN = Duration.ofSeconds(60);

    /** What a done record commits: a record to write (a result or a dead letter; null for none) and its action id. */
    private record Outcome(ProducerRecord<String, byte[]> record, String actionId) {}

    private record Finished(ActionQueue.Slot<Outcome> slot, Outcome outcome) {}

    private final KafkaConnection kafka;
    private final TopicNames names;
    private final ReflexSerdes serdes;
    private final String system;
    private final Executor executor;
    private final int concurrency;
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
    /** Ids of actions read and not yet committed: a second copy among them is skipped. */
    private final Map<String, ActionQueue.Slot<Outcome>> held = new HashMap<>();

    private final ActionQueue<Outcome> queue;
    /** The actions of queued slots not started yet. */
    private final Map<ActionQueue.Slot<Outcome>, Action> pending = new HashMap<>();

    private final BlockingQueue<Finished> finished = new LinkedBlockingQueue<>();
    private final Map<TopicPartition, Long> backoffUntil = new HashMap<>();
    private final ExecutorService workers;
    private final Thread thread;
    private final ActorMeters meters;
    private volatile String failure;
    private final Serializer<ActionResult> results;
    private KafkaProducer<String, byte[]> producer;

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
        this(kafka, names, serdes, system, groupId, executor, metrics, consumerSettings, executor.concurrency());
    }

    /** As above, running up to {@code concurrency} actions at once (the executor's own default above). */
    public ActorRunner(
            KafkaConnection kafka,
            TopicNames names,
            ReflexSerdes serdes,
            String system,
            String groupId,
            Executor executor,
            MeterRegistry metrics,
            Map<String, ?> consumerSettings,
            int concurrency) {
        this.kafka = kafka;
        this.names = names;
        this.serdes = serdes;
        this.system = system;
        this.executor = executor;
        this.concurrency = concurrency;
        this.queue = new ActionQueue<>(concurrency);
        this.meters = new ActorMeters(metrics, system);
        this.results = serdes.value(ActionResult.class).serializer();
        this.consumer = ActionConsumers.create(kafka, groupId, maxHeld(), consumerSettings);
        this.decoder = new ActionDecoder(names, serdes, "actor " + system);
        AtomicInteger worker = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(concurrency, r -> {
            Thread t = new Thread(r, "actor-" + system + "-" + worker.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.thread = new Thread(this::run, "actor-" + system);
    }

    /** Records held per partition before it is paused: enough to keep every worker busy, few enough to be light. */
    private int maxHeld() {
        return Math.max(10, concurrency * 4);
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

    /** How many actions this runner runs at once at most. */
    public int concurrency() {
        return concurrency;
    }

    private void run() {
        try (KafkaProducer<String, byte[]> transactional = new KafkaProducer<>(
                kafka.client(
                        ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                        names.actorTransactionalIdPrefix(system) + UUID.randomUUID(),
                        ProducerConfig.MAX_BLOCK_MS_CONFIG,
                        30_000,
                        // a transaction only writes finished results: a killed actor's open one is aborted within 10 s,
                        // so the next owner of its partitions (whose committed offsets wait for it) starts soon
                        ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
                        10_000),
                new StringSerializer(),
                new ByteArraySerializer())) {
            producer = transactional;
            loadCompleted();
            producer.initTransactions();
            consumer.subscribe(List.of(names.actions(system)), new Rebalances());
            ready.countDown();
            while (running.get()) {
                try {
                    accept(consumer.poll(queue.running() > 0 ? Duration.ofMillis(5) : Duration.ofMillis(500)));
                } catch (WakeupException e) {
                    if (running.get()) {
                        throw e;
                    }
                }
                startActions();
                drainFinished(Duration.ZERO);
                commitDone();
                throttle();
                meters.queue(queue.running(), queue.waiting());
            }
            drain(consumer.assignment());
            commitDone();
        } catch (WakeupException e) {
            if (running.get()) {
                failure = "woken up unexpectedly";
                LOG.error("actor for {} woken up unexpectedly", system, e);
            }
        } catch (RuntimeException e) {
            failure = e.toString();
            LOG.error("actor for {} stopped", system, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            workers.shutdown();
            consumer.close(Duration.ofSeconds(5));
            ready.countDown();
            done.countDown();
        }
    }

    /**
     * Queues what a poll returned: unreadable records become dead letters, actions already reported (or read twice
     * before their commit) are skipped. While the registry is unreachable, a partition is read again after a second.
     */
    private void accept(ConsumerRecords<String, byte[]> polled) {
        for (TopicPartition partition : polled.partitions()) {
            for (ConsumerRecord<String, byte[]> record : polled.records(partition)) {
                ActionDecoder.Decoded decoded;
                try {
                    decoded = decoder.decode(record);
                } catch (RetriableException e) {
                    LOG.warn("cannot read actions of {} now ({}); retrying in 1 s", system, e.getMessage());
                    consumer.seek(partition, record.offset());
                    backoffUntil.put(partition, System.currentTimeMillis() + 1_000);
                    break;
                }
                Action action = decoded.action();
                if (decoded.deadLetter() != null) {
                    meters.counted("UNREADABLE");
                    queue.addDone(partition, record.offset(), new Outcome(decoded.deadLetter(), null));
                } else if (completed.contains(action.getId()) || held.containsKey(action.getId())) {
                    LOG.info("action {} already completed; skipped", action.getId());
                    meters.counted("SKIPPED");
                    queue.addDone(partition, record.offset(), new Outcome(null, null));
                } else {
                    ActionQueue.Slot<Outcome> slot = queue.addAction(partition, record.offset(), action.getTarget());
                    held.put(action.getId(), slot);
                    pending.put(slot, action);
                }
            }
        }
    }

    private void startActions() {
        for (ActionQueue.Slot<Outcome> slot : queue.startable()) {
            Action action = pending.remove(slot);
            workers.execute(() -> finished.add(new Finished(slot, execute(action))));
        }
    }

    /** Runs one action on a worker thread; its result record, counted and logged. */
    private Outcome execute(Action action) {
        long started = System.nanoTime();
        Execution execution;
        try {
            execution = executor.execute(action);
        } catch (RuntimeException e) {
            execution = Execution.failed(1, null, null, null, "the actor failed: " + e);
        }
        long took = System.nanoTime() - started;
        ActionResult result = ActionResults.of(action, execution, took / 1_000_000);
        meters.executed(execution.status().name(), took);
        LOG.info(
                "action {} {}/{} target={} {} after {} attempt(s)",
                action.getId(),
                action.getSystem(),
                action.getAction(),
                action.getTarget(),
                execution.status(),
                execution.attempts());
        return new Outcome(
                new ProducerRecord<>(
                        names.actionResults(), action.getId(), results.serialize(names.actionResults(), result)),
                action.getId());
    }

    /** Hands finished actions to the queue, waiting up to {@code wait} for the first. */
    private void drainFinished(Duration wait) throws InterruptedException {
        Finished first = wait.isZero() ? finished.poll() : finished.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
        for (Finished f = first; f != null; f = finished.poll()) {
            queue.finished(f.slot(), f.outcome());
        }
    }

    /** Writes each partition's done prefix, results and dead letters, with its offsets, in one transaction. */
    private void commitDone() {
        Map<TopicPartition, List<ActionQueue.Slot<Outcome>>> done = queue.takeDone();
        if (done.isEmpty()) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        producer.beginTransaction();
        done.forEach((partition, slots) -> {
            for (ActionQueue.Slot<Outcome> slot : slots) {
                if (slot.outcome().record() != null) {
                    producer.send(slot.outcome().record());
                }
            }
            offsets.put(partition, new OffsetAndMetadata(slots.get(slots.size() - 1).offset + 1));
        });
        producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
        producer.commitTransaction();
        done.values()
                .forEach(slots -> slots.forEach(slot -> {
                    String id = slot.outcome().actionId();
                    if (id != null) {
                        completed.add(id);
                        held.remove(id);
                    }
                }));
    }

    /** Pauses partitions holding many records or waiting for the registry; resumes the others. */
    private void throttle() {
        long now = System.currentTimeMillis();
        backoffUntil.values().removeIf(until -> until <= now);
        List<TopicPartition> pause = new ArrayList<>();
        List<TopicPartition> resume = new ArrayList<>();
        for (TopicPartition partition : consumer.assignment()) {
            if (backoffUntil.containsKey(partition) || queue.size(partition) >= maxHeld()) {
                pause.add(partition);
            } else {
                resume.add(partition);
            }
        }
        consumer.pause(pause);
        consumer.resume(resume);
    }

    /** Waits, up to {@link #DRAIN}, until no action of {@code partitions} runs. */
    private void drain(Collection<TopicPartition> partitions) throws InterruptedException {
        long until = System.nanoTime() + DRAIN.toNanos();
        while (queue.runningIn(partitions) && System.nanoTime() < until) {
            drainFinished(Duration.ofMillis(100));
        }
        if (queue.runningIn(partitions)) {
            LOG.warn(
                    "actions of {} still running after {} s; their next owner runs them again",
                    system,
                    DRAIN.toSeconds());
        }
    }

    /** Forgets partitions: their held actions are read again by their next owner. */
    private void forget(Collection<TopicPartition> partitions) {
        queue.forget(partitions);
        held.values().removeIf(slot -> partitions.contains(slot.partition));
        pending.keySet().removeIf(slot -> partitions.contains(slot.partition));
        backoffUntil.keySet().removeAll(partitions);
    }

    /** Revoked partitions commit what their running actions did first; lost ones (the group moved on) are dropped. */
    private final class Rebalances implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            if (partitions.isEmpty() || producer == null) {
                return;
            }
            try {
                drain(partitions);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            commitDone();
            forget(partitions);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {}

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            forget(partitions);
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
