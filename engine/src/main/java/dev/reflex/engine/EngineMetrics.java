package dev.reflex.engine;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.MeterFilter;

import dev.reflex.schemas.DeadLetter;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.Outcome;
import dev.reflex.schemas.RuleOutcome;
import dev.reflex.topology.ProcessingListener;

/**
 * Reflex's own meters, counted from what the topology tells its {@link ProcessingListener}: events in by source,
 * decisions by outcome, matches and errors by rule, evaluation time, dead letters by stage and topic, and the lag from
 * an event's time to its decision. Meters are made in the registry given as they are first needed.
 *
 * <p>Tags taken from data (sources, rule ids, topics) are bounded: after {@value #MAX_TAG_VALUES} distinct values of
 * one tag, further ones are counted under {@value #OTHER}, so a flood of new sources or rules cannot grow the scrape
 * without limit.
 */
final class EngineMetrics implements ProcessingListener {
    static final int MAX_TAG_VALUES = 200;
    static final String OTHER = "_other";

    private final MeterRegistry registry;
    private final Set<String> sources = ConcurrentHashMap.newKeySet();
    private final Set<String> rules = ConcurrentHashMap.newKeySet();
    private final Set<String> topics = ConcurrentHashMap.newKeySet();
    // the counters by tag value, so the per-event path is one map lookup
    private final Map<String, Counter> eventsIn = new ConcurrentHashMap<>();
    // by Outcome, or NO_RULES: a lookup by enum per rule outcome, the tag text made once
    private final Map<Object, Counter> decisions = new ConcurrentHashMap<>();
    private static final Object NO_RULES = "none";
    private final Map<String, Counter> matches = new ConcurrentHashMap<>();
    private final Map<String, Counter> errors = new ConcurrentHashMap<>();
    private final Timer evaluation;
    private final Timer lag;

    EngineMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.evaluation = Timer.builder("reflex.evaluation")
                .description("Time to evaluate one event against the rules that could match it")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(1_000))
                .maximumExpectedValue(Duration.ofSeconds(1))
                .register(registry);
        this.lag = Timer.builder("reflex.decision.lag")
                .description(
                        "From an event's own time to the decision about it (event-time lag: includes the producer's delay)")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofHours(1))
                .register(registry);
    }

    @Override
    public void normalized(Event event) {
        eventsIn.computeIfAbsent(
                        bounded(sources, event.getSource()),
                        source -> Counter.builder("reflex.events.in")
                                .description("Events made from ingest records and action results, by source")
                                .tag("source", source)
                                .register(registry))
                .increment();
    }

    @Override
    public void evaluated(Event event, long micros) {
        evaluation.record(Duration.ofNanos(micros * 1_000));
    }

    @Override
    public void decided(Decision decision, Instant eventTime) {
        if (decision.getRules().isEmpty()) {
            decisions(NO_RULES);
        }
        for (RuleOutcome outcome : decision.getRules()) {
            decisions(outcome.getOutcome());
            if (outcome.getOutcome() == Outcome.MATCHED || outcome.getOutcome() == Outcome.FIRED) {
                matches.computeIfAbsent(
                                bounded(rules, outcome.getRuleId()),
                                rule -> Counter.builder("reflex.rule.matches")
                                        .description("Rules that acted on an event or fired a correlation, by rule")
                                        .tag("rule", rule)
                                        .register(registry))
                        .increment();
            } else if (outcome.getOutcome() == Outcome.ERROR) {
                errors.computeIfAbsent(
                                bounded(rules, outcome.getRuleId()),
                                rule -> Counter.builder("reflex.rule.errors")
                                        .description(
                                                "Rules that failed on an event (see the decision's detail), by rule")
                                        .tag("rule", rule)
                                        .register(registry))
                        .increment();
            }
        }
        if (eventTime != null) {
            lag.record(
                    Duration.ofMillis(Math.max(0, decision.getDecidedAt().toEpochMilli() - eventTime.toEpochMilli())));
        }
    }

    @Override
    public void deadLettered(DeadLetter letter) {
        Counter.builder("reflex.dead.letters")
                .description("Records written to the dead-letter topic, by stage and the topic read")
                .tag("stage", letter.getStage())
                .tag("topic", bounded(topics, letter.getTopic()))
                .register(registry)
                .increment();
    }

    private void decisions(Object outcome) {
        decisions
                .computeIfAbsent(
                        outcome,
                        o -> Counter.builder("reflex.decisions")
                                .description(
                                        "Rule outcomes recorded in decisions (none: a decision with no rule considered)")
                                .tag(
                                        "outcome",
                                        o instanceof Outcome known
                                                ? known.name().toLowerCase(Locale.ROOT)
                                                : o.toString())
                                .register(registry))
                .increment();
    }

    /**
     * Kafka Streams names a state store's tag by the store's kind ({@code rocksdb.state.id}, {@code in.memory.state.id},
     * ...), so one metric name gets different tag keys, which Prometheus refuses: all but the first kind's series would
     * be dropped. This filter gives them one key, {@code state.id}, and the kind as {@code store.type}.
     */
    static MeterFilter stateStoreTags() {
        return new MeterFilter() {
            @Override
            public Meter.Id map(Meter.Id id) {
                if (!id.getName().startsWith("kafka.stream.state")) {
                    return id;
                }
                List<Tag> tags = new ArrayList<>();
                for (Tag tag : id.getTagsAsIterable()) {
                    if (tag.getKey().endsWith(".state.id")) {
                        tags.add(Tag.of("state.id", tag.getValue()));
                        tags.add(Tag.of(
                                "store.type",
                                tag.getKey().substring(0, tag.getKey().length() - ".state.id".length())));
                    } else {
                        tags.add(tag);
                    }
                }
                return id.replaceTags(tags);
            }
        };
    }

    private static String bounded(Set<String> seen, String value) {
        if (value == null) {
            return "";
        }
        if (seen.contains(value) || seen.size() < MAX_TAG_VALUES && seen.add(value)) {
            return value;
        }
        return OTHER;
    }
}
