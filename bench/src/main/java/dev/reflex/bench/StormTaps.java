package dev.reflex.bench;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;

import dev.reflex.schemas.Action;
import dev.reflex.schemas.ActionResult;
import dev.reflex.schemas.ComponentAcls;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.serde.ReflexSerdes;

/**
 * What a storm run watches while it runs: the decisions, actions and results as they are committed (one reader each,
 * from the start of its topic), and the timeline's lag behind its inputs.
 */
final class StormTaps implements AutoCloseable {
    private final FaultCluster cluster;
    private final TopicNames names;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> readers = new ArrayList<>();

    private final Set<String> alertsDecided = ConcurrentHashMap.newKeySet();
    private final Set<String> warmUpsDecided = ConcurrentHashMap.newKeySet();
    private final Set<String> resultsDecided = ConcurrentHashMap.newKeySet();
    private final Set<String> actions = ConcurrentHashMap.newKeySet();
    private final Set<String> results = ConcurrentHashMap.newKeySet();
    private final Set<String> waiting = ConcurrentHashMap.newKeySet();
    private final AtomicLong lastDecision = new AtomicLong();
    private final AtomicLong lastResultDecided = new AtomicLong();

    StormTaps(FaultCluster cluster, TopicNames names, ReflexSerdes serdes) {
        this.cluster = cluster;
        this.names = names;
        tap(names.decisions(), serdes.value(Decision.class).deserializer(), this::decided);
        tap(names.actions("stub"), serdes.value(Action.class).deserializer(), a -> actions.add(a.getId()));
        tap(names.actionResults(), serdes.value(ActionResult.class).deserializer(), r -> results.add(r.getActionId()));
        tap(names.actorEvents(), (topic, bytes) -> new String(bytes, StandardCharsets.UTF_8), waiting::add);
    }

    /** Notices of held actions the actor wrote (what a limit held them for), distinct. */
    int waitingNotices() {
        return waiting.size();
    }

    private void decided(Decision d) {
        long at = d.getDecidedAt().toEpochMilli();
        if (d.getEventId().contains("-" + StormWorkload.WARM_UP + "-")) {
            warmUpsDecided.add(d.getEventId());
            return;
        }
        lastDecision.accumulateAndGet(at, Math::max);
        if ("alertmanager".equals(d.getEventSource())) {
            alertsDecided.add(d.getEventId());
        } else if ("reflex".equals(d.getEventSource())
                && ("action.succeeded".equals(d.getEventType()) || "action.failed".equals(d.getEventType()))) {
            resultsDecided.add(d.getEventId());
            lastResultDecided.accumulateAndGet(at, Math::max);
        }
    }

    private <V> void tap(String topic, Deserializer<V> values, Consumer<V> each) {
        Thread reader = new Thread(
                () -> {
                    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
                            Map.of(
                                    "bootstrap.servers",
                                    cluster.bootstrap(),
                                    "isolation.level",
                                    "read_committed",
                                    "auto.offset.reset",
                                    "earliest",
                                    "enable.auto.commit",
                                    false),
                            new ByteArrayDeserializer(),
                            new ByteArrayDeserializer())) {
                        List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                                .map(p -> new TopicPartition(topic, p.partition()))
                                .toList();
                        consumer.assign(partitions);
                        consumer.seekToBeginning(partitions);
                        while (running.get()) {
                            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                                if (r.value() != null) {
                                    each.accept(values.deserialize(topic, r.value()));
                                }
                            }
                        }
                    }
                },
                "storm-tap-" + topic);
        reader.setDaemon(true);
        reader.start();
        readers.add(reader);
    }

    /** Whether every alert and every action's result is decided and every expected action has a result. */
    boolean done(int alerts, int expectedActions) {
        return alertsDecided.size() >= alerts
                && actions.size() >= expectedActions
                && results.containsAll(actions)
                && resultsDecided.size() >= actions.size();
    }

    /** What is missing: alerts not decided, actions not emitted, actions without result, results not decided. */
    long lost(int alerts, int expectedActions, List<String> problems) {
        long lost = 0;
        if (alertsDecided.size() < alerts) {
            problems.add((alerts - alertsDecided.size()) + " alerts without a decision");
            lost += alerts - alertsDecided.size();
        }
        if (actions.size() < expectedActions) {
            problems.add(actions.size() + " actions emitted, " + expectedActions + " expected");
            lost += expectedActions - actions.size();
        } else if (actions.size() > expectedActions) {
            problems.add(actions.size() + " actions emitted, only " + expectedActions + " expected");
        }
        long noResult = actions.stream().filter(a -> !results.contains(a)).count();
        if (noResult > 0) {
            problems.add(noResult + " actions without a result");
            lost += noResult;
        }
        if (resultsDecided.size() < results.size()) {
            problems.add((results.size() - resultsDecided.size()) + " results without a decision");
            lost += results.size() - resultsDecided.size();
        }
        return lost;
    }

    /** Waits until {@code n} warm-up alerts are decided. */
    void awaitWarmUps(int n, Duration timeout) throws InterruptedException {
        long until = System.currentTimeMillis() + timeout.toMillis();
        while (warmUpsDecided.size() < n) {
            if (System.currentTimeMillis() > until) {
                throw new IllegalStateException(
                        "only " + warmUpsDecided.size() + " of " + n + " warm-up alerts decided within " + timeout);
            }
            Thread.sleep(100);
        }
    }

    int actions() {
        return actions.size();
    }

    long lastDecision() {
        return lastDecision.get();
    }

    long lastResultDecided() {
        return lastResultDecided.get();
    }

    /** Records of the timeline's inputs (events, decisions, flows) it has not committed yet. */
    long timelineLag() throws Exception {
        return BenchCluster.lag(
                cluster.admin(),
                ComponentAcls.timelineApplicationId(names.prefix() + "engine"),
                List.of(names.events(), names.decisions(), names.flows()));
    }

    /** Waits until the timeline has taken in all its inputs; returns when it had (wall clock, ms). */
    long awaitTimeline(long deadline) throws Exception {
        while (System.currentTimeMillis() < deadline) {
            if (timelineLag() == 0) {
                return System.currentTimeMillis();
            }
            Thread.sleep(100);
        }
        return System.currentTimeMillis();
    }

    /** Waits until the actor's group is stable with its partitions assigned. */
    void awaitActorGroup(String group, Duration timeout) throws Exception {
        long until = System.currentTimeMillis() + timeout.toMillis();
        while (System.currentTimeMillis() < until) {
            ConsumerGroupDescription description = cluster.admin()
                    .describeConsumerGroups(List.of(group))
                    .all()
                    .get()
                    .get(group);
            if (description.groupState() == GroupState.STABLE
                    && description.members().stream()
                            .anyMatch(m -> !m.assignment().topicPartitions().isEmpty())) {
                return;
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("the actor's group " + group + " was not stable within " + timeout);
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        for (Thread reader : readers) {
            reader.join(5_000);
        }
    }
}
