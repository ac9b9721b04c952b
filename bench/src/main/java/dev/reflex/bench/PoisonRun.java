package dev.reflex.bench;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;

import dev.reflex.actors.ActorRunner;
import dev.reflex.actors.Execution;
import dev.reflex.actors.log.LogActor;
import dev.reflex.embedded.testing.Garbage;
import dev.reflex.engine.Engine;
import dev.reflex.engine.EngineConfig;
import dev.reflex.schemas.ActionResult;
import dev.reflex.schemas.ActionStatus;
import dev.reflex.schemas.ContentTypes;
import dev.reflex.schemas.DeadLetter;
import dev.reflex.schemas.DeadLetters;
import dev.reflex.schemas.KafkaConnection;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.serde.ReflexSerdes;

/**
 * Garbage on every topic Reflex reads (rules, registers, register-ops, events, action-results, an action topic, the rule
 * log, an ingest topic, decisions) while an engine, an actor and the log actor run, then a restart of the engine over
 * it. After each round a valid event must be decided, its action executed and its result reported; every bad record
 * must be dead-lettered by each reader of its topic; and the log must grow with the garbage, not with time (at most a
 * few lines per bad record, none repeating while nothing arrives).
 */
final class PoisonRun {
    record Report(
            int rounds,
            int garbage,
            Map<String, Long> deadLetters,
            long logLines,
            long logLinesWhileIdle,
            int executed,
            int threadFailures,
            List<String> problems)
            implements FaultReport {
        @Override
        public String toString() {
            return String.format(
                    "poison: %d rounds, %,d garbage records on 10 topics; %,d log lines (%d while idle for 5 s); "
                            + "%d valid events acted on and reported; %d stream thread failures: %s%n    dead letters by topic and reader: %s",
                    rounds,
                    garbage,
                    logLines,
                    logLinesWhileIdle,
                    executed,
                    threadFailures,
                    ok() ? "every following event went through" : problems.size() + " problems: " + problems,
                    deadLetters);
        }
    }

    static Report run(FaultCluster cluster, int rounds) throws Exception {
        TopicNames names = cluster.topics("ops");
        cluster.admin()
                .createTopics(List.of(new NewTopic(names.ingest("k8s"), 2, (short) 1)))
                .all()
                .get();
        BenchCluster.publishRules(cluster.bootstrap(), cluster.registryUrl(), names, """
            id: restart
            when:
              source: k8s
              type: pod.oom
            then:
              - incr: ooms
              - system: ops
                action: restart
            """);
        ReflexSerdes serdes = cluster.serdes();
        int knownId = ByteBuffer.wrap(
                        serdes.value(DeadLetter.class)
                                .serializer()
                                .serialize(
                                        names.dlq(),
                                        DeadLetters.of(
                                                "t",
                                                0,
                                                0,
                                                0,
                                                null,
                                                null,
                                                null,
                                                "probe",
                                                "bench",
                                                "probe",
                                                null,
                                                Instant.EPOCH)),
                        1,
                        4)
                .getInt();
        List<String> topics = List.of(
                names.rules(),
                names.registers(),
                names.registerOps(),
                names.events(),
                names.actionResults(),
                names.actions("ops"),
                names.rulesLog(),
                names.ingest("k8s"),
                names.decisions(),
                names.correlate());
        AtomicLong logLines = new AtomicLong();
        AbstractAppender counter = countWarnings(logLines);
        List<String> problems = new ArrayList<>();
        List<String> executed = Collections.synchronizedList(new ArrayList<>());
        int garbage = 0;
        long idleLines;
        int threadFailures = 0;
        Map<String, Object> settings = cluster.engineSettings(names);
        Engine engine = Engine.start(new EngineConfig(settings));
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                        Map.of("bootstrap.servers", cluster.bootstrap()),
                        new ByteArraySerializer(),
                        new ByteArraySerializer());
                ActorRunner actor = new ActorRunner(
                                KafkaConnection.plaintext(cluster.bootstrap()),
                                names,
                                serdes,
                                "ops",
                                names.prefix() + "actor",
                                action -> {
                                    executed.add(action.getEventId());
                                    return Execution.succeeded(1, null, null, "done");
                                })
                        .start();
                LogActor log = new LogActor(
                                KafkaConnection.plaintext(cluster.bootstrap()),
                                names.prefix() + "log",
                                names,
                                serdes,
                                new PrintStream(OutputStream.nullOutputStream()))
                        .start()) {
            engine.awaitRunning(Duration.ofSeconds(60));
            for (int round = 0; round < rounds; round++) {
                for (String topic : topics) {
                    for (byte[] bad : Garbage.records(knownId)) {
                        producer.send(
                                new ProducerRecord<>(topic, ("bad-" + round).getBytes(StandardCharsets.UTF_8), bad));
                        garbage++;
                    }
                }
                if (round == rounds / 2) {
                    // a restart: the global stores are restored over everything so far
                    threadFailures += engine.threadFailures();
                    engine.close();
                    engine = Engine.start(new EngineConfig(settings));
                    if (!engine.awaitRunning(Duration.ofSeconds(90))) {
                        problems.add("the engine did not run again after a restart over the garbage (" + engine.state()
                                + ")");
                    }
                }
                String id = "valid-" + round;
                producer.send(BenchCluster.ingestRecord(
                        names.ingest("k8s"),
                        "pod-" + round,
                        ContentTypes.JSON,
                        ("{\"id\":\"" + id + "\",\"type\":\"pod.oom\",\"subject\":\"pod-" + round + "\"}")
                                .getBytes(StandardCharsets.UTF_8)));
                producer.flush();
                if (!reported(cluster, names, serdes, id)) {
                    problems.add(id + " was not acted on and reported within 60 s");
                }
            }
            long before = logLines.get();
            Thread.sleep(5_000);
            idleLines = logLines.get() - before;
            if (idleLines > 0) {
                problems.add(idleLines + " log lines while nothing arrived: something repeats");
            }
            threadFailures += engine.threadFailures();
            if (engine.state() != KafkaStreams.State.RUNNING) {
                problems.add("the engine is " + engine.state());
            }
        } finally {
            engine.close();
            ((LoggerContext) LogManager.getContext(false))
                    .getConfiguration()
                    .getRootLogger()
                    .removeAppender(counter.getName());
        }
        if (threadFailures > 0) {
            problems.add(threadFailures + " stream thread failures");
        }
        if (executed.size() != rounds) {
            problems.add(executed.size() + " executions for " + rounds + " valid events");
        }
        Map<String, Long> letters = new TreeMap<>();
        for (ConsumerRecord<byte[], DeadLetter> letter : TopicReader.readCommitted(
                cluster.bootstrap(), names.dlq(), serdes.value(DeadLetter.class).deserializer())) {
            letters.merge(
                    letter.value().getTopic().substring(names.prefix().length()) + " by "
                            + letter.value().getReader(),
                    1L,
                    Long::sum);
        }
        long perTopic = (long) rounds * Garbage.records(knownId).size();
        // the stream threads' topics: exactly once each, also across the restart
        for (String topic : List.of(
                names.registerOps(), names.events(), names.actionResults(), names.ingest("k8s"), names.correlate())) {
            long found = deadLetters(letters, names, topic);
            if (found != perTopic) {
                problems.add(found + " dead letters from " + topic + " for " + perTopic + " bad records");
            }
        }
        // the global stores: at least once, and again each time an instance loads the topic
        for (String topic : List.of(names.rules(), names.registers())) {
            if (deadLetters(letters, names, topic) < perTopic) {
                problems.add("fewer than " + perTopic + " dead letters from " + topic);
            }
        }
        for (String reader : List.of("actor ops", "log actor")) {
            if (letters.getOrDefault("actions.ops by " + reader, 0L) != perTopic) {
                problems.add(letters.getOrDefault("actions.ops by " + reader, 0L) + " dead letters by the " + reader
                        + " for " + perTopic);
            }
        }
        // per bad record: one line for each reader that meets it, more for records the global stores read again at the
        // restart
        if (logLines.get() > 4L * garbage + 200) {
            problems.add(logLines.get() + " log lines for " + garbage + " garbage records");
        }
        return new Report(
                rounds, garbage, letters, logLines.get(), idleLines, executed.size(), threadFailures, problems);
    }

    private static long deadLetters(Map<String, Long> letters, TopicNames names, String topic) {
        String prefix = topic.substring(names.prefix().length()) + " by engine";
        return letters.entrySet().stream()
                .filter(e -> e.getKey().startsWith(prefix))
                .mapToLong(Map.Entry::getValue)
                .sum();
    }

    private static boolean reported(FaultCluster cluster, TopicNames names, ReflexSerdes serdes, String eventId)
            throws Exception {
        Deserializer<ActionResult> results = serdes.value(ActionResult.class).deserializer();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<byte[], byte[]> r : TopicReader.readCommitted(
                    cluster.bootstrap(),
                    names.actionResults(),
                    Serdes.ByteArray().deserializer())) {
                try {
                    ActionResult result = results.deserialize(r.topic(), r.value());
                    if (result != null
                            && result.getEventId().equals(eventId)
                            && result.getStatus() == ActionStatus.SUCCEEDED) {
                        return true;
                    }
                } catch (SerializationException e) {
                    // the garbage this run put there
                }
            }
            Thread.sleep(500);
        }
        return false;
    }

    /** Counts WARN and worse log events of every logger, so the run can tell whether the log stays bounded. */
    private static AbstractAppender countWarnings(AtomicLong count) {
        AbstractAppender appender = new AbstractAppender("poison-run-counter", null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                if (event.getLevel().isMoreSpecificThan(Level.WARN)) {
                    count.incrementAndGet();
                }
            }
        };
        appender.start();
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        context.getConfiguration().getRootLogger().addAppender(appender, Level.WARN, null);
        context.updateLoggers();
        return appender;
    }
}
