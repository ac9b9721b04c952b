package dev.reflex.bench;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serializer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import dev.reflex.rules.Evaluation;
import dev.reflex.rules.Evaluator;
import dev.reflex.rules.RuleBook;
import dev.reflex.rules.RuleIndex;
import dev.reflex.rules.files.RuleFiles;
import dev.reflex.schemas.Action;
import dev.reflex.schemas.ContentTypes;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.registry.InMemorySchemaRegistry;
import dev.reflex.schemas.serde.ReflexSerdes;
import dev.reflex.topology.TopologyOptions;
import dev.reflex.topology.normalize.FieldMapping;
import dev.reflex.topology.normalize.NormalizationException;
import dev.reflex.topology.normalize.Normalizer;

/**
 * What the engine's stream thread does per event outside Kafka, on the throughput bench's workload (1,000 rules, 3
 * matching per event, events of about 500 bytes of JSON): normalizing the JSON into an event, evaluating it with the
 * slow-rule budget on (as the engine does), building its decision, and writing the event, its 3 actions and the
 * decision as Avro. Kafka's part (reading, sending, committing, the duplicate-detection store) is not in it, so a change
 * to Reflex's own per-event work shows here without the broker's noise. Mean time per event, in µs.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 6, time = 2)
@Fork(1)
public class EventWorkBenchmark {
    private static final long SLOW_MICROS = TopologyOptions.DEFAULT_RULE_SLOW_BUDGET.toNanos() / 1_000;

    private final TopicNames names = new TopicNames("bench.");
    private Normalizer normalizer;
    private RuleIndex index;
    private List<byte[]> bodies;
    private Headers headers;
    private Serializer<Event> events;
    private Serializer<Action> actions;
    private Serializer<Decision> decisions;
    private int next;

    @Setup(Level.Trial)
    public void setUp() throws NormalizationException {
        RuleFiles.Loaded loaded = RuleFiles.parse("bench.yaml", BenchCluster.rulesYaml());
        if (!loaded.ok()) {
            throw new IllegalStateException(loaded.problems().toString());
        }
        RuleBook book = new RuleBook();
        loaded.rules().forEach(book::put);
        index = book.index();
        normalizer = new Normalizer(names, 1 << 20, source -> FieldMapping.DEFAULT, bytes -> {
            throw new IllegalStateException("the workload has no Avro raw events");
        });
        headers = new RecordHeaders();
        headers.add(ContentTypes.HEADER, ContentTypes.JSON.getBytes(StandardCharsets.UTF_8));
        bodies = new ArrayList<>();
        for (int i = 0; i < 1024; i++) {
            bodies.add(BenchCluster.event(i, "e-"));
        }
        ReflexSerdes serdes = new ReflexSerdes(new InMemorySchemaRegistry(), true);
        events = serdes.value(Event.class).serializer();
        actions = serdes.value(Action.class).serializer();
        decisions = serdes.value(Decision.class).serializer();
        int written = decideAndWrite();
        Evaluation check = evaluate(normalize(0));
        if (check.actions().size() != BenchCluster.MATCHES) {
            throw new IllegalStateException("expected " + BenchCluster.MATCHES + " matches per event, got "
                    + check.actions().size());
        }
        System.err.printf("%n%,d bytes written for the first event%n", written);
    }

    private Event normalize(int i) throws NormalizationException {
        return normalizer.normalize(
                new Normalizer.Origin(names.ingest("bench"), 0, i, 0L), headers, bodies.get(i & 1023));
    }

    private Evaluation evaluate(Event event) {
        return Evaluator.evaluate(event, index, name -> null, Instant.EPOCH, SLOW_MICROS);
    }

    /** The whole per-event work; returns the bytes written, so nothing is optimized away. */
    @Benchmark
    public int decideAndWrite() throws NormalizationException {
        Event event = normalize(next++);
        Evaluation evaluation = evaluate(event);
        int bytes = events.serialize("bench.reflex.events", event).length;
        for (Action action : evaluation.actions()) {
            bytes += actions.serialize("bench.reflex.actions.ops", action).length;
        }
        Decision decision = evaluation.toDecision(event, "bench-0", Instant.EPOCH);
        return bytes + decisions.serialize("bench.reflex.decisions", decision).length;
    }
}
