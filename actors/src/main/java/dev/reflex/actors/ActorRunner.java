package dev.reflex.actors;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
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
 * a target's actions in the engine's order ({@link ActionQueue}); a target whose actions keep failing is held by its
 * circuit breaker ({@link Breakers}). Each result is written as soon as its action finishes, in a transaction with the
 * consumer offsets of the partitions' reported prefixes, so it is reported once: after a kill or a move, the next owner
 * reads again from the first unreported record, skips the actions already reported ({@link KnownResults}) and runs the
 * others again. Execution is therefore at least once, which is why every request carries the action id as an
 * idempotency key. When partitions are revoked, their running actions finish and are reported first; closing lets
 * every running action finish and reports it.
 */
public final class ActorRunner implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ActorRunner.class);
    /** How long a revocation or a stop waits for running actions before leaving them to the next owner. */
    private static final Duration DRAIN = Duration.ofSeconds(60);
    /**
     * Reported records a partition may hold behind an unreported one (a target held by its circuit, a slow action)
     * before it is paused: other targets on the partition go on meanwhile, and a new owner after a kill skips this many
     * reported actions at most.
     */
    private static final int MAX_BEHIND = 50_000;

    /** What a done record reports: a record to write (a result or a dead letter; null for none) and its action id. */
    private record Outcome(ProducerRecord<String, byte[]> record, String actionId) {}

    /** An action that ran: its slot, what came of it, how long it took, and when its start was counted (the limits). */
    private record Finished(ActionQueue.Slot<Outcome> slot, Execution execution, long nanos, long countedAt) {}

    private final KafkaConnection kafka;
    private final TopicNames names;
    private final String system;
    private final Executor executor;
    private final ActorOptions options;
    private final KafkaConsumer<String, byte[]> consumer;
    private final ActionDecoder decoder;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final CountDownLatch done = new CountDownLatch(1);
    private final CountDownLatch ready = new CountDownLatch(1);
    private final KnownResults known;
    private final Breakers breakers;
    private final ActorLimits limits;
    /** What held actions wait for, told on the timeline; null when its topic cannot be written. */
    private WaitNotices notices;

    private long nextNoticesCheck;
    private boolean noticesMissingSaid;

    private long nextShareCheck;
    private final ReflexSerdes serdes;
    private final ActionQueue<Outcome> queue;
    /** The actions of queued slots, until they finish. */
    private final Map<ActionQueue.Slot<Outcome>, Action> actions = new HashMap<>();
    /** Ids of actions read and not yet reported: a second copy among them is skipped. */
    private final Map<String, ActionQueue.Slot<Outcome>> held = new HashMap<>();

    private final BlockingQueue<Finished> finished = new LinkedBlockingQueue<>();
    private final Map<TopicPartition, Long> backoffUntil = new HashMap<>();
    private final ExecutorService workers;
    private final Thread thread;
    private final ActorMeters meters;
    private volatile String failure;
    private final Serializer<ActionResult> results;
    private ResultWriter writer;
    private long nextMeters;

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
        this(
                kafka,
                names,
                serdes,
                system,
                groupId,
                executor,
                metrics,
                consumerSettings,
                ActorOptions.defaults(executor));
    }

    /** As above, with how many actions run at once and the circuit breakers' settings. */
    public ActorRunner(
            KafkaConnection kafka,
            TopicNames names,
            ReflexSerdes serdes,
            String system,
            String groupId,
            Executor executor,
            MeterRegistry metrics,
            Map<String, ?> consumerSettings,
            ActorOptions options) {
        this.kafka = kafka;
        this.names = names;
        this.system = system;
        this.executor = executor;
        this.options = options;
        this.serdes = serdes;
        this.queue = new ActionQueue<>(options.concurrency());
        this.breakers = new Breakers(options.breaker());
        this.meters = new ActorMeters(metrics, system);
        this.results = serdes.value(ActionResult.class).serializer();
        this.limits = new ActorLimits(system, options.concurrency(), breakers);
        this.known = new KnownResults(kafka, names, serdes, system, running::get, limits::learned);
        Map<String, Object> settings = new HashMap<>(consumerSettings);
        settings.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, SystemShares.class.getName());
        settings.put(SystemShares.STATE_CONFIG, limits.shares());
        this.consumer = ActionConsumers.create(kafka, groupId, maxHeld(), settings);
        this.decoder = new ActionDecoder(names, serdes, "actor " + system);
        AtomicInteger worker = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(options.concurrency(), r -> {
            Thread t = new Thread(r, "actor-" + system + "-" + worker.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.thread = new Thread(this::run, "actor-" + system);
    }

    /** Unreported records per partition before it is paused: enough to keep every worker busy, few enough to be light. */
    private int maxHeld() {
        return Math.max(10, options.concurrency() * 4);
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

    /** This process's share of the system's system-wide limits, as the group's last assignment gave it. */
    SystemShares.Share share() {
        return limits.share();
    }

    /** How many actions this runner runs at once at most. */
    public int concurrency() {
        return options.concurrency();
    }

    private void run() {
        try (KafkaProducer<String, byte[]> transactional = new KafkaProducer<>(
                        kafka.client(
                                ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                                names.actorTransactionalIdPrefix(system) + UUID.randomUUID(),
                                ProducerConfig.MAX_BLOCK_MS_CONFIG,
                                30_000,
                                // a transaction only writes finished results: a killed actor's open one is aborted
                                // within 10 s, so the next owner of its partitions (whose offsets wait for it) starts
                                // soon
                                ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
                                10_000),
                        new StringSerializer(),
                        new ByteArraySerializer());
                KnownResults loaded = known;
                CatalogLimits catalog = new CatalogLimits(kafka, names, serdes, system, limits::catalog);
                ResultWriter written = new ResultWriter(transactional, "actor-" + system + "-results")) {
            writer = written;
            catalog.load(running::get);
            loaded.catchUp();
            LOG.info("actor for {}: {} earlier results loaded", system, loaded.size());
            lookForWaitNotices(System.currentTimeMillis());
            transactional.initTransactions();
            consumer.subscribe(List.of(names.actions(system)), new Rebalances());
            ready.countDown();
            while (running.get()) {
                try {
                    // while actions run, the wait is on their ends (below), so a freed place is taken at once
                    accept(consumer.poll(queue.running() > 0 ? Duration.ZERO : Duration.ofMillis(500)));
                } catch (WakeupException e) {
                    if (running.get()) {
                        throw e;
                    }
                }
                step(queue.running() > 0 ? Duration.ofMillis(5) : Duration.ZERO);
                throttle();
                catalog.follow(System.currentTimeMillis());
                askForNewShares();
                lookForWaitNotices(System.currentTimeMillis());
            }
            queue.dropWaiting(consumer.assignment());
            drain(consumer.assignment());
            report(true);
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
     * Starts what may start, fails what its open circuit fails, takes in finished actions (waiting up to {@code wait}
     * for one), starts what their places allow, and reports them.
     */
    private void step(Duration wait) throws InterruptedException {
        long now = System.currentTimeMillis();
        startReady(now);
        failHeld(now);
        Finished first = wait.isZero() ? finished.poll() : finished.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
        for (Finished f = first; f != null; f = finished.poll()) {
            finish(f.slot(), f.execution(), f.nanos(), f.countedAt());
        }
        if (first != null) {
            startReady(System.currentTimeMillis());
        }
        report(false);
        if (now >= nextMeters) {
            nextMeters = now + 1_000;
            long limited = queue.waitingTargets().stream()
                    .filter(t -> limits.rateLimited(t, now))
                    .count();
            long oldest = queue.oldestWaiting();
            meters.queue(queue.running(), queue.waiting(), breakers.open(now), limited, oldest < 0 ? 0 : now - oldest);
            if (notices != null) {
                notices.look(
                        now,
                        queue.waitingTargets(),
                        target -> queue.waitingFor(target).stream()
                                .map(slot -> new WaitNotices.Waiting<>(slot, actions.get(slot), slot.readAt))
                                .toList(),
                        target -> limits.holds(target, now, queue.running()),
                        actions.keySet());
            }
        }
    }

    /**
     * Tells what held actions wait for once {@code ingest.actors} is there to be written (the engine creates it at
     * start, which may come after the actor's); looked for again every 30 s until then, said once.
     */
    private void lookForWaitNotices(long now) {
        if (notices != null || now < nextNoticesCheck) {
            return;
        }
        nextNoticesCheck = now + 30_000;
        String topic = names.actorEvents();
        try {
            if (!consumer.partitionsFor(topic, Duration.ofSeconds(10)).isEmpty()) {
                notices = new WaitNotices(topic);
                if (noticesMissingSaid) {
                    LOG.info("actor for {}: {} is there now; what held actions wait for is told", system, topic);
                }
                return;
            }
        } catch (RuntimeException e) {
            LOG.debug("cannot describe {}", topic, e);
        }
        if (!noticesMissingSaid) {
            noticesMissingSaid = true;
            LOG.warn(
                    "actor for {}: {} is missing or cannot be read, so what held actions wait for is not on the"
                            + " timeline until it is; the engine creates it at start, or run reflex topics create",
                    system,
                    topic);
        }
    }

    /** Starts the waiting actions that their targets, the limits and the free places let start now. */
    private void startReady(long now) {
        for (ActionQueue.Slot<Outcome> slot :
                queue.startable(limits.concurrency(), target -> limits.tryStart(target, now))) {
            Action action = actions.get(slot);
            workers.execute(() -> {
                long started = System.nanoTime();
                Execution execution;
                try {
                    execution = executor.execute(action);
                } catch (RuntimeException e) {
                    execution = Execution.failed(1, null, null, null, "the actor failed: " + e);
                }
                finished.add(new Finished(slot, execution, System.nanoTime() - started, now));
            });
        }
    }

    /** Queues what a poll returned: unreadable records become dead letters; actions already reported are skipped. */
    private void accept(ConsumerRecords<String, byte[]> polled) {
        for (TopicPartition partition : polled.partitions()) {
            for (ConsumerRecord<String, byte[]> record : polled.records(partition)) {
                ActionDecoder.Decoded decoded;
                try {
                    decoded = decoder.decode(record);
                } catch (RetriableException e) {
                    // the registry is unreachable: this partition is read again from here after a second
                    LOG.warn("cannot read actions of {} now ({}); retrying in 1 s", system, e.getMessage());
                    consumer.seek(partition, record.offset());
                    backoffUntil.put(partition, System.currentTimeMillis() + 1_000);
                    break;
                }
                Action action = decoded.action();
                if (decoded.deadLetter() != null) {
                    meters.counted("UNREADABLE");
                    queue.addDone(partition, record.offset(), new Outcome(decoded.deadLetter(), null));
                } else if (known.contains(action.getId()) || held.containsKey(action.getId())) {
                    LOG.info("action {} already completed; skipped", action.getId());
                    meters.counted("SKIPPED");
                    queue.addDone(partition, record.offset(), new Outcome(null, null));
                } else {
                    ActionQueue.Slot<Outcome> slot = queue.addAction(partition, record.offset(), action.getTarget());
                    held.put(action.getId(), slot);
                    actions.put(slot, action);
                }
            }
        }
    }

    /**
     * A finished action: its result, counted and logged; its target's breaker learns from it, and its target's rate
     * counts it from now on.
     */
    private void finish(ActionQueue.Slot<Outcome> slot, Execution execution, long nanos, long countedAt) {
        Action action = actions.remove(slot);
        boolean failed = execution.status() == ActionStatus.FAILED;
        long now = System.currentTimeMillis();
        limits.finished(action.getTarget(), countedAt, now);
        if (breakers.record(action.getTarget(), failed, now)) {
            String held = breakers.reason(action.getTarget()) + "; its actions are held for "
                    + options.breakerCooldown().toSeconds() + " s, then one probes";
            LOG.warn("actions of {}: {}", system, held);
            execution = new Execution(
                    execution.status(),
                    execution.attempts(),
                    execution.httpStatus(),
                    execution.exitCode(),
                    execution.output(),
                    execution.error() + " (" + held + ")");
        }
        meters.executed(execution.status().name(), nanos);
        LOG.info(
                "action {} {}/{} target={} {} after {} attempt(s)",
                action.getId(),
                action.getSystem(),
                action.getAction(),
                action.getTarget(),
                execution.status(),
                execution.attempts());
        queue.finished(slot, outcome(action, execution, nanos));
    }

    /** Held actions of targets whose circuit has been open for the bound fail now, without running. */
    private void failHeld(long now) {
        if (options.breakerHeldMax().isZero() || breakers.open(now) == 0) {
            return;
        }
        for (String target : queue.waitingTargets()) {
            if (!breakers.failsHeld(target, now)) {
                continue;
            }
            for (ActionQueue.Slot<Outcome> slot : queue.waitingFor(target)) {
                Action action = actions.remove(slot);
                Execution execution = Execution.failed(
                        0,
                        null,
                        null,
                        null,
                        breakers.reason(target) + " for longer than "
                                + options.breakerHeldMax().toSeconds() + " s; not run");
                meters.counted(execution.status().name());
                LOG.info(
                        "action {} {}/{} target={} FAILED: {}",
                        action.getId(),
                        system,
                        action.getAction(),
                        target,
                        execution.error());
                queue.doneWithoutRunning(slot, outcome(action, execution, 0));
            }
        }
    }

    private Outcome outcome(Action action, Execution execution, long nanos) {
        ActionResult result = ActionResults.of(action, execution, nanos / 1_000_000);
        return new Outcome(
                new ProducerRecord<>(
                        names.actionResults(), action.getId(), results.serialize(names.actionResults(), result)),
                action.getId());
    }

    /**
     * A share computed from other system-wide limits than the catalog's now asks for a new assignment (at most every 5
     * s: the leader may not have read the change yet).
     */
    private void askForNewShares() {
        long now = System.currentTimeMillis();
        if (now >= nextShareCheck && limits.shares().stale()) {
            nextShareCheck = now + 5_000;
            LOG.info(
                    "actor for {}: the catalog's system-wide limits are now {}; asking for new shares",
                    system,
                    SystemShares.key(limits.shares().limits()));
            consumer.enforceRebalance("the system-wide limits changed");
        }
    }

    /**
     * Hands the outcomes not reported yet, with the offsets of the partitions' reported prefixes, to the writer for one
     * transaction, unless it is still writing the last batch (they go in the next); with {@code wait}, waits until
     * everything taken is written.
     */
    private void report(boolean wait) {
        writer.settle(wait);
        if (writer.busy()) {
            return;
        }
        List<ActionQueue.Slot<Outcome>> outcomes = queue.takeOutcomes();
        Map<TopicPartition, Long> offsets = queue.takeCommittable();
        List<ProducerRecord<String, byte[]>> told = notices == null ? List.of() : notices.take();
        if (outcomes.isEmpty() && offsets.isEmpty() && told.isEmpty()) {
            return;
        }
        List<ProducerRecord<String, byte[]>> records = new ArrayList<>(told);
        for (ActionQueue.Slot<Outcome> slot : outcomes) {
            if (slot.outcome().record() != null) {
                records.add(slot.outcome().record());
            }
        }
        writer.write(records, offsets, consumer.groupMetadata(), () -> {
            for (ActionQueue.Slot<Outcome> slot : outcomes) {
                String id = slot.outcome().actionId();
                if (id != null) {
                    known.add(id);
                    held.remove(id);
                }
                slot.release();
            }
        });
        if (wait) {
            writer.settle(true);
        }
    }

    /** Pauses partitions holding many unreported records, or waiting for the registry; resumes the others. */
    private void throttle() {
        long now = System.currentTimeMillis();
        backoffUntil.values().removeIf(until -> until <= now);
        List<TopicPartition> pause = new ArrayList<>();
        List<TopicPartition> resume = new ArrayList<>();
        for (TopicPartition partition : consumer.assignment()) {
            if (backoffUntil.containsKey(partition)
                    || queue.unreported(partition) >= maxHeld()
                    || queue.size(partition) >= MAX_BEHIND) {
                pause.add(partition);
            } else {
                resume.add(partition);
            }
        }
        consumer.pause(pause);
        consumer.resume(resume);
    }

    /** Waits, up to {@link #DRAIN}, until no action of {@code partitions} runs, reporting what finishes. */
    private void drain(Collection<TopicPartition> partitions) throws InterruptedException {
        long until = System.nanoTime() + DRAIN.toNanos();
        while (queue.runningIn(partitions) && System.nanoTime() < until) {
            step(Duration.ofMillis(100));
        }
        if (queue.runningIn(partitions)) {
            LOG.warn(
                    "actions of {} still running after {} s; their next owner runs them again",
                    system,
                    DRAIN.toSeconds());
        }
    }

    /** Forgets partitions: their records not reported are read again by their next owner. */
    private void forget(Collection<TopicPartition> partitions) {
        List<ActionQueue.Slot<Outcome>> stillRunning = queue.forget(partitions);
        held.values().removeIf(slot -> partitions.contains(slot.partition));
        actions.keySet().removeIf(slot -> partitions.contains(slot.partition) && !stillRunning.contains(slot));
        backoffUntil.keySet().removeAll(partitions);
    }

    /**
     * Revoked partitions report what their running actions did first; lost ones (the group moved on) are dropped.
     * Newly assigned ones may hold actions their last owner reported beyond its committed offset: the results written
     * since are read first.
     */
    private final class Rebalances implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            if (partitions.isEmpty()) {
                return;
            }
            queue.dropWaiting(partitions);
            try {
                drain(partitions);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            report(true);
            forget(partitions);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            // every member gave up its partitions (and reported its running actions) before any got new ones: the
            // starts read back from here on with an earlier start time came before this share
            limits.shareBegan(System.currentTimeMillis());
            SystemShares.Share share = limits.share();
            if (!share.limits().equals("none")) {
                LOG.info("actor for {}: {} partition(s), share {}", system, partitions.size(), share);
            }
            if (!partitions.isEmpty()) {
                known.catchUp();
            }
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            forget(partitions);
        }
    }

    @Override
    public void close() {
        running.set(false);
        consumer.wakeup();
        try {
            if (!done.await(60 + DRAIN.toSeconds(), TimeUnit.SECONDS)) {
                LOG.warn("actor for {} did not stop within {} s", system, 60 + DRAIN.toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
