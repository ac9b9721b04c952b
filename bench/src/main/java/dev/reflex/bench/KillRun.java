package dev.reflex.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.reflex.schemas.Action;
import dev.reflex.schemas.ContentTypes;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.Register;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.serde.ReflexSerdes;
import dev.reflex.topology.timeline.TimelineEntry;
import dev.reflex.topology.timeline.TimelineTopology;

/**
 * Two engine instances in one consumer group, each in its own JVM, while events arrive; every few seconds one of them
 * is killed with SIGKILL and started again. Then a checker reads the action, decision and register topics with
 * read_committed and compares them with what the rules say: one action per firing event (by deterministic id), one
 * decision per event, register values equal to a sequential replay of the events, and on the timeline each event and
 * its decision exactly once.
 */
final class KillRun {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String RULES = """
        id: fire-on-even
        when:
          source: faults
          type: tick
          condition: event.data.n % 2 == 0
        then:
          - system: ops
            action: note
            params: {n: "${event.data.n}"}
        ---
        id: count-and-remember
        when:
          source: faults
          type: tick
        then:
          - incr: count.${event.subject}
          - set: last.${event.subject}
            value: ${event.data.n}
        """;
    static final int SUBJECTS = 50;

    record Report(
            String topicPrefix,
            int events,
            int kills,
            int actionsChecked,
            int decisionsChecked,
            int registersChecked,
            List<String> problems)
            implements FaultReport {
        @Override
        public String toString() {
            return String.format(
                    "kill -9: %,d events, %d kills, %,d actions, %,d decisions and %d registers checked: %s",
                    events,
                    kills,
                    actionsChecked,
                    decisionsChecked,
                    registersChecked,
                    ok()
                            ? "no loss, no duplicate"
                            : problems.size() + " problems: " + problems.subList(0, Math.min(10, problems.size())));
        }
    }

    static Report run(FaultCluster cluster, int events, Duration produceFor, Duration killEvery) throws Exception {
        TopicNames names = cluster.topics("ops");
        String ingest = names.ingest("faults");
        cluster.createTopic(ingest);
        BenchCluster.publishRules(cluster.bootstrap(), cluster.registryUrl(), names, RULES);
        List<Child> engines = new ArrayList<>();
        for (String instance : List.of("a", "b")) {
            engines.add(new Child(
                            "engine-" + instance,
                            cluster.dir.resolve(names.prefix() + "engine-" + instance + ".log"),
                            cluster.engineArgs(names, instance, true))
                    .start());
        }
        List<String> problems = new ArrayList<>();
        AtomicBoolean producing = new AtomicBoolean(true);
        Thread producer = new Thread(
                () -> {
                    produce(cluster.bootstrap(), ingest, events, produceFor);
                    producing.set(false);
                },
                "kill-run-producer");
        producer.start();
        int kills = 0;
        while (producing.get()) {
            Thread.sleep(killEvery.toMillis());
            Child victim = engines.get(kills % engines.size());
            System.err.printf("  kill -9 %s%n", victim.name());
            victim.kill();
            kills++;
            Thread.sleep(500);
            victim.start();
        }
        producer.join();
        try {
            BenchCluster.awaitConsumed(
                    cluster.admin(),
                    names.prefix() + "engine",
                    List.of(ingest, names.events(), names.registerOps()),
                    Duration.ofMinutes(5));
            String timeline = names.prefix() + "engine-timeline";
            BenchCluster.awaitConsumed(
                    cluster.admin(),
                    timeline,
                    List.of(names.events(), names.decisions(), TimelineTopology.repartitionTopic(timeline)),
                    Duration.ofMinutes(5));
        } catch (IllegalStateException e) {
            problems.add(e.getMessage());
        }
        for (Child engine : engines) {
            String exit = engine.exitedByItself();
            if (!exit.isEmpty()) {
                problems.add(exit);
            }
            engine.stop();
        }
        return check(cluster.bootstrap(), cluster.serdes(), names, events, kills, problems);
    }

    private static void produce(String bootstrap, String topic, int events, Duration over) {
        long period = over.toNanos() / events;
        try (CheckedProducer<byte[], byte[]> producer = CheckedProducer.bytes(bootstrap)) {
            long start = System.nanoTime();
            for (int i = 0; i < events; i++) {
                long wait = start + i * period - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                String subject = "s-" + (i % SUBJECTS);
                producer.send(BenchCluster.ingestRecord(
                        topic,
                        subject,
                        ContentTypes.JSON,
                        ("{\"id\":\"k-" + i + "\",\"type\":\"tick\",\"subject\":\"" + subject + "\",\"n\":" + i + "}")
                                .getBytes(StandardCharsets.UTF_8)));
            }
            producer.flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static Report check(
            String bootstrap, ReflexSerdes serdes, TopicNames names, int events, int kills, List<String> problems) {
        // one decision per event
        Map<String, Integer> decisions = new HashMap<>();
        List<ConsumerRecord<byte[], Decision>> decisionRecords = TopicReader.readCommitted(
                bootstrap, names.decisions(), serdes.value(Decision.class).deserializer());
        decisionRecords.forEach(r -> decisions.merge(r.value().getEventId(), 1, Integer::sum));
        for (int i = 0; i < events; i++) {
            int n = decisions.getOrDefault("k-" + i, 0);
            if (n != 1) {
                problems.add("event k-" + i + " has " + n + " decisions");
            }
        }
        // one action per firing event, by deterministic action id
        Map<String, Integer> actionIds = new HashMap<>();
        Set<String> fired = new HashSet<>();
        List<ConsumerRecord<byte[], Action>> actions = TopicReader.readCommitted(
                bootstrap, names.actions("ops"), serdes.value(Action.class).deserializer());
        for (ConsumerRecord<byte[], Action> r : actions) {
            actionIds.merge(r.value().getId().toString(), 1, Integer::sum);
            fired.add(r.value().getEventId().toString());
        }
        actionIds.forEach((id, n) -> {
            if (n > 1) {
                problems.add("action " + id + " written " + n + " times");
            }
        });
        for (int i = 0; i < events; i++) {
            if ((i % 2 == 0) != fired.contains("k-" + i)) {
                problems.add("event k-" + i
                        + (i % 2 == 0 ? " should have fired and did not" : " fired and should not have"));
            }
        }
        // registers equal a sequential replay: per subject, the count of its events and the last n
        Map<String, String> registers = new HashMap<>();
        TopicReader.readCommitted(
                        bootstrap,
                        names.registers(),
                        serdes.value(Register.class).deserializer())
                .forEach(r -> {
                    String key = new String(r.key(), StandardCharsets.UTF_8);
                    if (r.value() == null) {
                        registers.remove(key);
                    } else {
                        registers.put(key, r.value().getValue().toString());
                    }
                });
        // in the order the events are on Kafka (a send the broker refused was sent again later, so it may come after
        // events sent after it): a subject's events share its partition
        Map<String, String> expected = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r :
                TopicReader.readCommitted(bootstrap, names.ingest("faults"), new ByteArrayDeserializer())) {
            JsonNode event = readJson(r.value());
            String subject = event.get("subject").asText();
            expected.merge("count." + subject, "1", (a, b) -> String.valueOf(Long.parseLong(a) + 1));
            expected.put("last." + subject, event.get("n").asText());
        }
        expected.forEach((name, value) -> {
            if (!value.equals(registers.get(name))) {
                problems.add(
                        "register " + name + " is " + registers.get(name) + ", a sequential replay gives " + value);
            }
        });
        problems.addAll(Quarantines.of(bootstrap, serdes, names));
        checkTimeline(
                bootstrap,
                names,
                IntStream.range(0, events).mapToObj(i -> "k-" + i).toList(),
                problems);
        return new Report(
                names.prefix(), events, kills, actions.size(), decisionRecords.size(), expected.size(), problems);
    }

    private static JsonNode readJson(byte[] value) {
        try {
            return JSON.readTree(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The timeline saw every event and its decision exactly once: on the timeline of all systems ({@code *}), as its
     * store's changelog holds it (read_committed: what survives a kill).
     */
    static void checkTimeline(String bootstrap, TopicNames names, Collection<String> eventIds, List<String> problems) {
        String changelog = names.prefix() + "engine-timeline-" + TimelineTopology.TIMELINE_STORE + "-changelog";
        Map<String, Integer> entries = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r :
                TopicReader.readCommitted(bootstrap, changelog, new ByteArrayDeserializer())) {
            // a window store's changelog key: the key, then the window's start (8 bytes) and a sequence number (4)
            if (r.key().length == 13 && r.key()[0] == '*' && r.value() != null) {
                TimelineEntry entry = TimelineEntry.fromJson(r.value());
                entries.merge(entry.kind() + " " + entry.eventId(), 1, Integer::sum);
            }
        }
        for (String id : eventIds) {
            for (String kind : List.of("EVENT", "DECISION")) {
                int n = entries.getOrDefault(kind + " " + id, 0);
                if (n != 1) {
                    problems.add(
                            "the timeline has " + n + " " + kind.toLowerCase(Locale.ROOT) + " entries for event " + id);
                }
            }
        }
    }
}
