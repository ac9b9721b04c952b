package dev.reflex.bench;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import dev.reflex.rules.Evaluation;
import dev.reflex.rules.Evaluator;
import dev.reflex.rules.RuleBook;
import dev.reflex.rules.RuleIndex;
import dev.reflex.rules.files.RuleFiles;
import dev.reflex.schemas.Event;

/**
 * Events per second through rule evaluation with 10, 1,000 and 10,000 live rules, each event matching 3 of them:
 * the cost the index keeps flat as the rule count grows. Every event runs 3 compiled conditions, renders one action
 * per match and builds the outcomes, as the engine does per record.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RuleMatchingBenchmark {
    private static final int MATCHES_PER_EVENT = 3;

    @Param({"10", "1000", "10000"})
    public int rules;

    private RuleIndex index;
    private List<Event> events;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        RuleBook book = new RuleBook();
        // rules 0-2 listen to type-0, 3-5 to type-1, ...; events use only types that have all three
        int types = Math.max(1, rules / MATCHES_PER_EVENT);
        StringBuilder yaml = new StringBuilder();
        for (int i = 0; i < rules; i++) {
            yaml.append("id: rule-")
                    .append(i)
                    .append('\n')
                    .append("when:\n  source: monitoring\n  type: type-")
                    .append(i / MATCHES_PER_EVENT)
                    .append('\n')
                    .append("  condition: event.data.cpu > 90 && registers['freeze'] != 'on'\n")
                    .append(
                            "then:\n  - system: ops\n    action: scale-out\n    params: {host: \"${event.subject}\", cpu: \"${event.data.cpu}\"}\n")
                    .append("---\n");
        }
        RuleFiles.Loaded loaded = RuleFiles.parse("bench.yaml", yaml.toString());
        if (!loaded.ok()) {
            throw new IllegalStateException(loaded.problems().toString());
        }
        loaded.rules().forEach(book::put);
        index = book.index();
        events = new ArrayList<>();
        for (int i = 0; i < 1024; i++) {
            events.add(Event.newBuilder()
                    .setId("e-" + i)
                    .setSource("monitoring")
                    .setType("type-" + (i % types))
                    .setSubject("web-" + i)
                    .setTime(Instant.EPOCH)
                    .setData("{\"cpu\":97,\"host\":\"web-" + i + "\"}")
                    .build());
        }
        Evaluation check = Evaluator.evaluate(events.get(0), index, name -> null, Instant.EPOCH);
        if (check.actions().size() != Math.min(rules, MATCHES_PER_EVENT)) {
            throw new IllegalStateException("expected " + MATCHES_PER_EVENT + " matches per event, got "
                    + check.actions().size());
        }
    }

    @Benchmark
    public Evaluation evaluate() {
        Event event = events.get(next++ & 1023);
        return Evaluator.evaluate(event, index, name -> null, Instant.EPOCH);
    }
}
