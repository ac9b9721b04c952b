package dev.reflex.audit;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import dev.reflex.audit.RuleHistory;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.Rule;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.serde.ReflexSerdes;

/**
 * Reads Reflex's recorded history for replay and explain: committed records only, with its own consumer (no group,
 * no commits), so it runs beside a live engine and changes nothing.
 */
public final class HistoryReader implements AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(HistoryReader.class);
    /** Events and decisions are matched up within this much record time of each other (they carry the same timestamp). */
    static final long JOIN_WINDOW_MS = 30_000;

    private final TopicNames names;
    private final ReflexSerdes serdes;
    private final Deserializer<Event> events;
    private final Deserializer<Decision> decisions;
    private final Deserializer<Rule> rules;
    private final KafkaConsumer<String, byte[]> consumer;

    public HistoryReader(dev.reflex.schemas.KafkaConnection kafka, TopicNames names, ReflexSerdes serdes) {
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
        } catch (org.apache.kafka.common.errors.SerializationException e) {
            LOG.warn("skipping unreadable record {}-{}@{}: {}", record.topic(), record.partition(), record.offset(), e.getMessage());
            return null;
        }
    }

    /** Every rule version from the rule log and the live rules topic, with the times they were applied. */
    public RuleHistory ruleHistory() {
        RuleHistory history = new RuleHistory();
        for (String topic : List.of(names.rulesLog(), names.rules())) {
            scan(partitions(topic), null, record -> {
                if (record.value() == null) {
                    history.add(record.timestamp(), record.key(), null);
                } else {
                    Rule rule = read(rules, record);
                    if (rule != null) {
                        history.add(record.timestamp(), record.key(), rule);
                    }
                }
            });
        }
        return history;
    }

    /** Every live rule by id, as an engine holds them: the compacted rules topic read to its end, a tombstone removing. */
    public Map<String, Rule> liveRules() {
        Map<String, Rule> live = new java.util.TreeMap<>();
        scan(partitions(names.rules()), null, record -> {
            if (record.value() == null) {
                live.remove(record.key());
            } else {
                Rule rule = read(rules, record);
                if (rule != null) {
                    live.put(record.key(), rule);
                }
            }
        });
        return live;
    }

    /** Every live system of the catalog by name (committed records only; a tombstone removes). */
    public Map<String, dev.reflex.schemas.SystemDef> liveSystems() {
        org.apache.kafka.common.serialization.Deserializer<dev.reflex.schemas.SystemDef> systems =
            serdes.value(dev.reflex.schemas.SystemDef.class).deserializer();
        Map<String, dev.reflex.schemas.SystemDef> live = new java.util.TreeMap<>();
        scan(partitions(names.systems()), null, record -> {
            if (record.value() == null) {
                live.remove(record.key());
            } else {
                dev.reflex.schemas.SystemDef system = read(systems, record);
                if (system != null) {
                    live.put(record.key(), system);
                }
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
        long size() {
            return Math.max(0, stop - start);
        }
    }

    /** The offsets holding records stamped in [from, to] (null: no bound) on each partition. */
    public List<Range> ranges(List<TopicPartition> partitions, Instant from, Instant to) {
        Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions, Duration.ofSeconds(15));
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(15));
        Map<TopicPartition, OffsetAndTimestamp> starts = from == null ? Map.of() : offsetsForTimes(partitions, from.toEpochMilli());
        Map<TopicPartition, OffsetAndTimestamp> stops = to == null ? Map.of() : offsetsForTimes(partitions, to.toEpochMilli() + 1);
        List<Range> ranges = new ArrayList<>();
        for (TopicPartition p : partitions) {
            long start = from == null ? begin.get(p) : starts.get(p) == null ? end.get(p) : starts.get(p).offset();
            long stop = to == null ? end.get(p) : stops.get(p) == null ? end.get(p) : stops.get(p).offset();
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
    public void scan(List<TopicPartition> partitions, List<Range> ranges, Consumer<ConsumerRecord<String, byte[]>> handler) {
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
    public void scanRanges(List<Range> ranges, java.util.function.Predicate<ConsumerRecord<String, byte[]>> handler) {
        scanRanges(ranges, handler, unfinished -> { });
    }

    /** As above; {@code afterPoll} sees the partitions not read to their stop yet, after each batch. */
    void scanRanges(List<Range> ranges, java.util.function.Predicate<ConsumerRecord<String, byte[]>> handler,
                    Consumer<java.util.Set<TopicPartition>> afterPoll) {
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
                if (records.isEmpty() && System.nanoTime() - idleSince > Duration.ofSeconds(60).toNanos()) {
                    throw new IllegalStateException("reading " + stop.keySet() + " made no progress for 60 s; is the cluster reachable?");
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

    /** What pairing events with decisions found. */
    public static final class PairStats {
        long events;
        long decisions;
        long paired;
        long withoutDecision;
        long duplicates;
        /** Records of reflex.events or reflex.decisions in range that could not be read (each logged once). */
        long unreadable;
        long decisionsWithoutEvent;
        long skippedBySource;
        long correlationSteps;

        /** Correlation steps read (decisions with detail CORRELATION): handed on alone, not paired with an event. */
        public long correlationSteps() {
            return correlationSteps;
        }

        /** Events read in range (of the source, when one was given). */
        public long events() {
            return events;
        }

        public long decisions() {
            return decisions;
        }

        /** Events handed on with their decision. */
        public long paired() {
            return paired;
        }

        /** Events handed on without a decision (none recorded, or it is out of range). */
        public long withoutDecision() {
            return withoutDecision;
        }

        /** Repeated event ids: duplicates the engine dropped. */
        public long duplicates() {
            return duplicates;
        }

        public long unreadable() {
            return unreadable;
        }

        public long decisionsWithoutEvent() {
            return decisionsWithoutEvent;
        }
    }

    /** Receives each recorded event in range with its decision (null when none was recorded). */
    public interface PairHandler {
        void accept(Event event, long eventTime, Decision decision);

        /**
         * A correlation step's decision (detail CORRELATION), which records the state it saw and so needs no event; an
         * event's own decision says it was handed to correlation.
         */
        default void correlation(Decision decision, long time) {
        }
    }

    /**
     * Pairs each event stamped in [from, to] with its decision. Both topics are read together and the one ahead in
     * record time waits for the other, so only events whose decision is still to come are held in memory. An event
     * with no decision within {@link #JOIN_WINDOW_MS} is handed on with none.
     */
    public PairStats pairs(Instant from, Instant to, String source, PairHandler handler, ReadProgress progress) {
        PairStats stats = new PairStats();
        List<Range> eventRanges = ranges(partitions(names.events()), from, to);
        List<Range> decisionRanges = ranges(partitions(names.decisions()), from, to);
        long total = eventRanges.stream().mapToLong(Range::size).sum();
        progress.start(total);
        Map<TopicPartition, Long> frontier = new HashMap<>();
        LinkedHashMap<String, Pending<Event>> waitingEvents = new LinkedHashMap<>();
        LinkedHashMap<String, Pending<Decision>> waitingDecisions = new LinkedHashMap<>();
        long fromMs = from == null ? Long.MIN_VALUE : from.toEpochMilli();
        long toMs = to == null ? Long.MAX_VALUE : to.toEpochMilli();
        String eventsTopic = names.events();
        long[] consumed = {0};
        List<Range> all = new ArrayList<>(eventRanges);
        all.addAll(decisionRanges);
        scanRanges(all, record -> {
            TopicPartition p = new TopicPartition(record.topic(), record.partition());
            frontier.put(p, record.timestamp());
            long ts = record.timestamp();
            boolean inRange = ts >= fromMs && ts <= toMs && record.value() != null;
            if (record.topic().equals(eventsTopic)) {
                consumed[0]++;
                Event event = inRange ? read(events, record) : null;
                if (event == null && inRange) {
                    stats.unreadable++;
                } else if (inRange) {
                    if (source != null && !source.equals(event.getSource())) {
                        stats.skippedBySource++;
                    } else {
                        stats.events++;
                        Pending<Decision> decision = waitingDecisions.remove(event.getId());
                        if (decision != null) {
                            stats.paired++;
                            handler.accept(event, ts, decision.value());
                        } else if (waitingEvents.containsKey(event.getId())) {
                            stats.duplicates++;
                        } else {
                            waitingEvents.put(event.getId(), new Pending<>(event, ts));
                        }
                    }
                }
            } else if (inRange) {
                Decision decision = read(decisions, record);
                if (decision == null) {
                    stats.unreadable++;
                } else if (dev.reflex.rules.correlate.CorrelationSteps.isStep(decision)) {
                    stats.correlationSteps++;
                    handler.correlation(decision, ts);
                } else if (source == null || source.equals(decision.getEventSource())) {
                    stats.decisions++;
                    Pending<Event> event = waitingEvents.remove(decision.getEventId());
                    if (event != null) {
                        stats.paired++;
                        handler.accept(event.value(), event.time(), decision);
                    } else {
                        waitingDecisions.put(decision.getEventId(), new Pending<>(decision, ts));
                    }
                }
            }
            return true;
        }, unfinished -> {
            balance(unfinished, frontier, waitingEvents, waitingDecisions, handler, stats);
            progress.update(consumed[0]);
        });
        for (Pending<Event> event : waitingEvents.values()) {
            stats.withoutDecision++;
            handler.accept(event.value(), event.time(), null);
        }
        stats.decisionsWithoutEvent += waitingDecisions.size();
        progress.finish(consumed[0]);
        return stats;
    }

    private record Pending<T>(T value, long time) {
    }

    /**
     * Hands on events whose decision can no longer come (the decisions read are past them by the join window), drops
     * decisions whose event can no longer come, and pauses whichever topic runs ahead so neither side piles up.
     */
    private void balance(java.util.Set<TopicPartition> unfinished, Map<TopicPartition, Long> frontier,
                         LinkedHashMap<String, Pending<Event>> waitingEvents,
                         LinkedHashMap<String, Pending<Decision>> waitingDecisions, PairHandler handler, PairStats stats) {
        // how far each topic has been read in record time: its slowest partition still being read
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
        // all decisions read (MAX): every waiting event is done waiting; none read yet (MIN): all keep waiting
        long eventsDone = horizon(decisionsAt);
        long decisionsDone = horizon(eventsAt);
        for (Iterator<Pending<Event>> it = waitingEvents.values().iterator(); it.hasNext(); ) {
            Pending<Event> event = it.next();
            if (event.time() >= eventsDone) {
                break;
            }
            it.remove();
            stats.withoutDecision++;
            handler.accept(event.value(), event.time(), null);
        }
        for (Iterator<Pending<Decision>> it = waitingDecisions.values().iterator(); it.hasNext(); ) {
            Pending<Decision> decision = it.next();
            if (decision.time() >= decisionsDone) {
                break;
            }
            it.remove();
            stats.decisionsWithoutEvent++;
        }
        List<TopicPartition> pause = new ArrayList<>();
        List<TopicPartition> resume = new ArrayList<>();
        // the topic ahead in record time waits: at most one join window of records is held
        for (TopicPartition p : unfinished) {
            long at = frontier.getOrDefault(p, Long.MIN_VALUE);
            long other = p.topic().equals(names.events()) ? decisionsAt : eventsAt;
            if (other != Long.MAX_VALUE && at > other + JOIN_WINDOW_MS) {
                pause.add(p);
            } else {
                resume.add(p);
            }
        }
        consumer.pause(pause);
        consumer.resume(resume);
    }

    private static long horizon(long otherAt) {
        return otherAt == Long.MAX_VALUE || otherAt == Long.MIN_VALUE ? otherAt : otherAt - JOIN_WINDOW_MS;
    }

    @Override
    public void close() {
        consumer.close(java.time.Duration.ofSeconds(5));
    }
}
