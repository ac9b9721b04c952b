package dev.reflex.actors;

import java.io.PrintStream;
import java.time.Duration;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.reflex.schemas.Action;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.serde.ReflexSerdes;

/**
 * Prints every action on every {@code reflex.actions.<system>} topic, one line each: the actor {@code reflex dev}
 * runs so a new user sees what the rules decided. Reads committed records only, as every actor does, and commits
 * after printing.
 */
public final class LogActor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LogActor.class);

    private final KafkaConsumer<String, Action> consumer;
    private final TopicNames names;
    private final PrintStream out;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final CountDownLatch done = new CountDownLatch(1);
    private final Thread thread;

    public LogActor(String bootstrapServers, String groupId, TopicNames names, ReflexSerdes serdes, PrintStream out) {
        this.names = names;
        this.out = out;
        this.consumer = ActionConsumers.create(bootstrapServers, groupId, serdes, 500);
        this.thread = new Thread(this::run, "log-actor");
    }

    public LogActor start() {
        thread.start();
        return this;
    }

    private void run() {
        try {
            consumer.subscribe(names.actionsPattern());
            while (running.get()) {
                ConsumerRecords<String, Action> records;
                try {
                    records = consumer.poll(Duration.ofMillis(500));
                } catch (SerializationException e) {
                    LOG.error("skipping an unreadable action record: {}", e.getMessage());
                    continue;
                }
                for (ConsumerRecord<String, Action> record : records) {
                    out.println(format(record.value()));
                }
                if (!records.isEmpty()) {
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
            done.countDown();
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
