package dev.reflex.connectors.timer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import dev.reflex.schemas.ContentTypes;
import dev.reflex.schemas.KafkaConnection;
import dev.reflex.schemas.TopicAdmin;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.TopicSpec;

/**
 * Emits {@code timer.tick} events on {@code reflex.ingest.timer} (subject: the schedule's name) so rules can run
 * periodic checks. The event id is the schedule's name and the scheduled instant, so replicas running the same schedules
 * emit the same ids and the engine acts on each tick once.
 */
public final class TimerConnector implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TimerConnector.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, Schedule> schedules;
    private final String topic;
    private final KafkaProducer<byte[], byte[]> producer;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Thread thread;

    private final MeterRegistry metrics;

    public TimerConnector(KafkaConnection kafka, TopicNames names, Map<String, Schedule> schedules) {
        this(kafka, names, schedules, new SimpleMeterRegistry());
    }

    /** @param schedules by name (letters, digits, '.', '_', '-'); ticks are counted in {@code metrics} */
    public TimerConnector(
            KafkaConnection kafka, TopicNames names, Map<String, Schedule> schedules, MeterRegistry metrics) {
        this.metrics = metrics;
        if (schedules.isEmpty()) {
            throw new IllegalArgumentException("no schedules: give at least one as NAME=CRON or NAME=@every 1m");
        }
        schedules.keySet().forEach(name -> {
            if (!TopicNames.isValidPart(name)) {
                throw new IllegalArgumentException("invalid schedule name '" + name + "'");
            }
        });
        this.schedules = new TreeMap<>(schedules);
        this.topic = names.ingest("timer");
        try (Admin admin = Admin.create(kafka.client(
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
                10_000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                15_000))) {
            TopicAdmin.requireReachable(admin, kafka.toString(), 10_000);
            new TopicAdmin(admin, Optional.empty(), Optional.empty(), 15_000)
                    .ensure(List.of(new TopicSpec(topic, false)));
        }
        this.producer = new KafkaProducer<>(
                kafka.client(ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true),
                new ByteArraySerializer(),
                new ByteArraySerializer());
        this.thread = new Thread(this::run, "timer");
    }

    public TimerConnector start() {
        thread.start();
        return this;
    }

    private void run() {
        Map<String, Instant> next = new TreeMap<>();
        Instant now = Instant.now();
        schedules.forEach((name, schedule) -> next.put(name, schedule.next(now)));
        try {
            while (running.get()) {
                Instant due = next.values().stream().min(Instant::compareTo).orElseThrow();
                long wait = due.toEpochMilli() - System.currentTimeMillis();
                if (wait > 0) {
                    if (stoppedWaiting(Math.min(wait, 1000))) {
                        return;
                    }
                    continue;
                }
                for (Map.Entry<String, Instant> entry : next.entrySet()) {
                    if (!entry.getValue().isAfter(Instant.now())) {
                        tick(entry.getKey(), entry.getValue());
                        entry.setValue(schedules.get(entry.getKey()).next(entry.getValue()));
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            stopped.countDown();
        }
    }

    private boolean stoppedWaiting(long millis) throws InterruptedException {
        Thread.sleep(millis);
        return !running.get();
    }

    private void tick(String name, Instant at) {
        String body = JSON.createObjectNode()
                .put("id", "timer-" + name + "-" + at)
                .put("type", "timer.tick")
                .put("subject", name)
                .put("time", at.toString())
                .put("schedule", schedules.get(name).toString())
                .toString();
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(
                topic, null, name.getBytes(StandardCharsets.UTF_8), body.getBytes(StandardCharsets.UTF_8));
        record.headers().add(new RecordHeader(ContentTypes.HEADER, ContentTypes.JSON.getBytes(StandardCharsets.UTF_8)));
        producer.send(record, (metadata, error) -> {
            metrics.counter("reflex.timer.ticks", "schedule", name, "outcome", error == null ? "delivered" : "failed")
                    .increment();
            if (error != null) {
                LOG.error("tick {} at {} not delivered: {}", name, at, error.toString());
            }
        });
    }

    /** Whether the timer thread is still running. */
    public boolean isRunning() {
        return stopped.getCount() == 1 && thread.isAlive();
    }

    @Override
    public void close() {
        running.set(false);
        try {
            stopped.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(10));
    }
}
