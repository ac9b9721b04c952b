package dev.reflex.audit.history;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Predicate;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.reflex.schemas.Decision;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.KafkaConnection;
import dev.reflex.schemas.Rule;
import dev.reflex.schemas.SystemDef;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.serde.ReflexSerdes;

/**
 * Reads Reflex's recorded history for replay and explain: committed records only, with its own consumer (no group,
 * no commits), so it runs beside a live engine and changes nothing.
 */
public final class HistoryReader implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HistoryReader.class);
    private final TopicNames names;
    private final ReflexSerdes serdes;
    private final Deserializer<Event> events;
    private final Deserializer<Decision> decisions;
    private final Deserializer<Rule> rules;
    private final KafkaConsumer<String, byte[]> consumer;

    public HistoryReader(KafkaConnection kafka, TopicNames names, ReflexSerdes serdes) {
        this.names = names;
        this.serdes = serdes;
        this.events = serdes.value(Event.class).deserializer();
        this.decisions = serdes.value(Decision.class).deserializer();
        this.rules = serdes.value(Rule.class).deserializer();
        Map<String, Object> config = kafka.client();
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // reading must never create a topic, even on brokers that allow auto-creation
        config.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        config.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 10_000);
        config.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 * 1024 * 1024);
        config.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 * 1024 * 1024);
        this.consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
    }

    public TopicNames names() {
        return names;
    }

    public ReflexSerdes serdes() {
        return serdes;
    }

    public Deserializer<Event> events() {
        return events;
    }

    public Deserializer<Decision> decisions() {
        return decisions;
    }

    /**
     * The value of {@code record}, or null when it cannot be read: that is logged once, with where it is, and skipped.
     * Reading history writes nothing, so the record is not dead-lettered here (the engine dead-letters what it reads).
     */
    public <T> T read(Deserializer<T> values, ConsumerRecord<String, byte[]> record) {
        try {
            return values.deserialize(record.topic(), record.value());
        } catch (SerializationException e) {
            LOG.warn(
                    "skipping unreadable record {}-{}@{}: {}",
                    record.topic(),
                    record.partition(),
                    record.offset(),
                    e.getMessage());
            return null;
        }
    }

    /** Every rule version from the rule log and the live rules topic, with the times they were applied. */
    public RuleHistory ruleHistory() {
        RuleHistory history = new RuleHistory();
        for (String topic : List.of(names.rulesLog(), names.rules())) {
            readKeyed(topic, rules, (time, key, rule) -> history.add(time, key, rule));
        }
        return history;
    }

    /** Every live rule by id, as an engine holds them: the compacted rules topic read to its end, a tombstone removing. */
    public Map<String, Rule> liveRules() {
        return live(names.rules(), rules);
    }

    /** Every live system of the catalog by name (committed records only; a tombstone removes). */
    public Map<String, SystemDef> liveSystems() {
        return live(names.systems(), serdes.value(SystemDef.class).deserializer());
    }

    /** What a keyed record holds: null for a tombstone. Unreadable values are skipped (and logged). */
    private interface KeyedHandler<T> {
        void accept(long time, String key, T value);
    }

    private <T> void readKeyed(String topic, Deserializer<T> values, KeyedHandler<T> handler) {
        scan(partitions(topic), null, record -> {
            if (record.value() == null) {
                handler.accept(record.timestamp(), record.key(), null);
            } else {
                T value = read(values, record);
                if (value != null) {
                    handler.accept(record.timestamp(), record.key(), value);
                }
            }
        });
    }

    /** A compacted topic's live values by key, read to its end: a tombstone removes. */
    private <T> Map<String, T> live(String topic, Deserializer<T> values) {
        Map<String, T> live = new TreeMap<>();
        readKeyed(topic, values, (time, key, value) -> {
            if (value == null) {
                live.remove(key);
            } else {
                live.put(key, value);
            }
        });
        return live;
    }

    /** The partitions of {@code topic}; none when it does not exist. */
    public List<TopicPartition> partitions(String topic) {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(15));
        List<TopicPartition> partitions = new ArrayList<>();
        if (infos != null) {
            infos.forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
        }
        return partitions;
    }

    /** A partition's records from {@code start} (inclusive) to {@code stop} (exclusive). */
    public record Range(TopicPartition partition, long start, long stop) {
        public long size() {
            return Math.max(0, stop - start);
        }
    }

    /** The offsets holding records stamped in [from, to] (null: no bound) on each partition. */
    public List<Range> ranges(List<TopicPartition> partitions, Instant from, Instant to) {
        Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions, Duration.ofSeconds(15));
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(15));
        Map<TopicPartition, OffsetAndTimestamp> starts =
                from == null ? Map.of() : offsetsForTimes(partitions, from.toEpochMilli());
        Map<TopicPartition, OffsetAndTimestamp> stops =
                to == null ? Map.of() : offsetsForTimes(partitions, to.toEpochMilli() + 1);
        List<Range> ranges = new ArrayList<>();
        for (TopicPartition p : partitions) {
            long start = from == null
                    ? begin.get(p)
                    : starts.get(p) == null ? end.get(p) : starts.get(p).offset();
            long stop = to == null
                    ? end.get(p)
                    : stops.get(p) == null ? end.get(p) : stops.get(p).offset();
            ranges.add(new Range(p, start, Math.max(start, stop)));
        }
        return ranges;
    }

    private Map<TopicPartition, OffsetAndTimestamp> offsetsForTimes(List<TopicPartition> partitions, long at) {
        Map<TopicPartition, Long> query = new HashMap<>();
        partitions.forEach(p -> query.put(p, at));
        Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query, Duration.ofSeconds(15));
        return found == null ? Map.of() : new HashMap<>(found);
    }

    /** The earliest record time still on {@code topic}, or null when it is empty: how far back history goes. */
    public Instant earliest(String topic) {
        List<TopicPartition> partitions = partitions(topic);
        Long earliest = null;
        for (Range range : ranges(partitions, null, null)) {
            if (range.size() == 0) {
                continue;
            }
            consumer.assign(List.of(range.partition()));
            consumer.seek(range.partition(), range.start());
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            while (System.nanoTime() < deadline) {
                var records = consumer.poll(Duration.ofMillis(200));
                if (!records.isEmpty()) {
                    long ts = records.iterator().next().timestamp();
                    earliest = earliest == null ? ts : Math.min(earliest, ts);
                    break;
                }
                if (consumer.position(range.partition()) >= range.stop()) {
                    break;
                }
            }
        }
        consumer.unsubscribe();
        return earliest == null ? null : Instant.ofEpochMilli(earliest);
    }

    /** Reads every record of {@code partitions} to the end offsets seen at the start (all of them when {@code ranges} is null). */
    public void scan(
            List<TopicPartition> partitions, List<Range> ranges, Consumer<ConsumerRecord<String, byte[]>> handler) {
        if (partitions.isEmpty()) {
            return;
        }
        List<Range> todo = ranges != null ? ranges : ranges(partitions, null, null);
        scanRanges(todo, record -> {
            handler.accept(record);
            return true;
        });
    }

    /** Reads the ranges; {@code handler} returns false to stop early. */
    public void scanRanges(List<Range> ranges, Predicate<ConsumerRecord<String, byte[]>> handler) {
        scanRanges(ranges, handler, unfinished -> {});
    }

    /** As above; {@code afterPoll} sees the partitions not read to their stop yet, after each batch. */
    void scanRanges(
            List<Range> ranges,
            Predicate<ConsumerRecord<String, byte[]>> handler,
            Consumer<Set<TopicPartition>> afterPoll) {
        Map<TopicPartition, Long> stop = new HashMap<>();
        List<TopicPartition> assigned = new ArrayList<>();
        for (Range r : ranges) {
            if (r.size() > 0) {
                stop.put(r.partition(), r.stop());
                assigned.add(r.partition());
            }
        }
        if (assigned.isEmpty()) {
            return;
        }
        consumer.assign(assigned);
        for (Range r : ranges) {
            if (r.size() > 0) {
                consumer.seek(r.partition(), r.start());
            }
        }
        try {
            long idleSince = System.nanoTime();
            while (!stop.isEmpty()) {
                var records = consumer.poll(Duration.ofMillis(200));
                if (records.isEmpty()
                        && System.nanoTime() - idleSince
                                > Duration.ofSeconds(60).toNanos()) {
                    throw new IllegalStateException(
                            "reading " + stop.keySet() + " made no progress for 60 s; is the cluster reachable?");
                }
                if (!records.isEmpty()) {
                    idleSince = System.nanoTime();
                }
                for (ConsumerRecord<String, byte[]> record : records) {
                    TopicPartition p = new TopicPartition(record.topic(), record.partition());
                    Long until = stop.get(p);
                    if (until == null || record.offset() >= until) {
                        continue;
                    }
                    if (!handler.test(record)) {
                        return;
                    }
                }
                for (TopicPartition p : List.copyOf(stop.keySet())) {
                    // transaction markers take offsets too: a position at or past the stop is the end
                    if (consumer.position(p) >= stop.get(p)) {
                        stop.remove(p);
                        consumer.pause(List.of(p));
                    }
                }
                afterPoll.accept(stop.keySet());
            }
        } finally {
            consumer.unsubscribe();
        }
    }

    /**
     * Pairs each event stamped in [from, to] with its decision ({@link EventDecisionJoin}). Both topics are read together
     * and the one ahead in record time waits for the other, so only events whose decision is still to come are held in
     * memory. An event with no decision within {@link EventDecisionJoin#WINDOW_MS} is handed on with none.
     */
    public PairStats pairs(Instant from, Instant to, String source, PairHandler handler, ReadProgress progress) {
        EventDecisionJoin join = new EventDecisionJoin(source, handler, new PairStats());
        List<Range> eventRanges = ranges(partitions(names.events()), from, to);
        List<Range> all = new ArrayList<>(eventRanges);
        all.addAll(ranges(partitions(names.decisions()), from, to));
        progress.start(eventRanges.stream().mapToLong(Range::size).sum());
        Map<TopicPartition, Long> frontier = new HashMap<>();
        long fromMs = from == null ? Long.MIN_VALUE : from.toEpochMilli();
        long toMs = to == null ? Long.MAX_VALUE : to.toEpochMilli();
        long[] consumed = {0};
        scanRanges(
                all,
                record -> {
                    frontier.put(new TopicPartition(record.topic(), record.partition()), record.timestamp());
                    boolean isEvent = record.topic().equals(names.events());
                    consumed[0] += isEvent ? 1 : 0;
                    long ts = record.timestamp();
                    if (ts < fromMs || ts > toMs || record.value() == null) {
                        return true;
                    }
                    if (isEvent) {
                        Event event = read(events, record);
                        if (event == null) {
                            join.unreadable();
                        } else {
                            join.event(event, ts);
                        }
                    } else {
                        Decision decision = read(decisions, record);
                        if (decision == null) {
                            join.unreadable();
                        } else {
                            join.decision(decision, ts);
                        }
                    }
                    return true;
                },
                unfinished -> {
                    balance(unfinished, frontier, join);
                    progress.update(consumed[0]);
                });
        PairStats stats = join.finish();
        progress.finish(consumed[0]);
        return stats;
    }

    /**
     * Tells the join how far each topic has been read in record time (its slowest partition still being read), and pauses
     * whichever topic runs ahead so neither side piles up: at most one join window of records is held.
     */
    private void balance(Set<TopicPartition> unfinished, Map<TopicPartition, Long> frontier, EventDecisionJoin join) {
        long eventsAt = Long.MAX_VALUE;
        long decisionsAt = Long.MAX_VALUE;
        for (TopicPartition p : unfinished) {
            long at = frontier.getOrDefault(p, Long.MIN_VALUE);
            if (p.topic().equals(names.events())) {
                eventsAt = Math.min(eventsAt, at);
            } else {
                decisionsAt = Math.min(decisionsAt, at);
            }
        }
        join.readUpTo(eventsAt, decisionsAt);
        List<TopicPartition> pause = new ArrayList<>();
        List<TopicPartition> resume = new ArrayList<>();
        for (TopicPartition p : unfinished) {
            long at = frontier.getOrDefault(p, Long.MIN_VALUE);
            long other = p.topic().equals(names.events()) ? decisionsAt : eventsAt;
            if (other != Long.MAX_VALUE && at > other + EventDecisionJoin.WINDOW_MS) {
                pause.add(p);
            } else {
                resume.add(p);
            }
        }
        consumer.pause(pause);
        consumer.resume(resume);
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
    }
}
