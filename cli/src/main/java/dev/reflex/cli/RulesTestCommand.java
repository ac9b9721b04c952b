package dev.reflex.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import dev.reflex.audit.publish.RulePublisher;
import dev.reflex.rules.Evaluation;
import dev.reflex.rules.Evaluator;
import dev.reflex.rules.RuleBook;
import dev.reflex.rules.correlate.CorrelationSimulator;
import dev.reflex.schemas.Action;
import dev.reflex.schemas.CorrelationInput;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.RegisterOp;
import dev.reflex.schemas.Rule;
import dev.reflex.schemas.RuleOutcome;

@Command(
        name = "test",
        mixinStandardHelpOptions = true,
        description = {
            "Dry-run the rules under DIR, offline: against one event, or against a sequence of events with their times,",
            "as correlation rules need. For every rule, matched or why not, what correlation made of each event, and the exact",
            "actions and register operations it would emit. Needs no cluster."
        })
final class RulesTestCommand implements Callable<Integer> {
    @Parameters(paramLabel = "DIR", description = "Directory of rule YAML files.")
    Path dir;

    static final class Input {
        @Option(
                names = "--event",
                required = true,
                paramLabel = "FILE",
                description = "One event: a JSON object, or a CloudEvent in structured mode.")
        Path event;

        @Option(
                names = "--events",
                required = true,
                paramLabel = "FILE.jsonl",
                description = {
                    "A sequence of events, one JSON object "
                            + "or CloudEvent per line, in order. Each event's time is its 'time' (the previous one's when it has none); that "
                            + "time is also the clock deadlines fire by. Deadlines still armed after the last event fire at the end."
                })
        Path events;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    @Option(
            names = "--source",
            paramLabel = "NAME",
            defaultValue = "test",
            description =
                    "Source of a plain JSON event, as if published to reflex.ingest.NAME (default: ${DEFAULT-VALUE}).")
    String source;

    @Option(
            names = "--registers",
            paramLabel = "FILE",
            description = "Register values as a JSON object of names to values.")
    Path registers;

    @Option(
            names = "--config",
            paramLabel = "FILE",
            description = "The engine's settings file: its reflex.normalizer.* and "
                    + "reflex.max.event.bytes apply, as the engine would apply them (REFLEX_* variables too).")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "An engine setting, as with --config; repeatable.")
    List<String> sets = new ArrayList<>();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        List<Rule> rules = RulePublisher.load(dir);
        Map<String, String> values = readRegisters();
        RuleBook book = new RuleBook();
        rules.forEach(book::put);
        PrintWriter out = spec.commandLine().getOut();
        CorrelationSimulator correlation =
                new CorrelationSimulator(id -> book.get(id).orElse(null), values::get);
        EventFiles files = new EventFiles(config, sets, source);
        if (input.event != null) {
            Event parsed = files.read(input.event);
            long now = System.currentTimeMillis();
            Evaluation evaluation = Evaluator.evaluate(parsed, book.index(), values::get, Instant.ofEpochMilli(now));
            out.println("event " + parsed.getId() + ": source=" + parsed.getSource() + " type=" + parsed.getType()
                    + " subject=" + parsed.getSubject());
            print(evaluation, correlation, parsed, now, out);
            Set<String> considered =
                    evaluation.outcomes().stream().map(RuleOutcome::getRuleId).collect(Collectors.toSet());
            for (Rule rule : rules) {
                if (!considered.contains(rule.getId())) {
                    out.println("  " + rule.getId() + "@" + rule.getVersion() + ": NOT CONSIDERED - listens to "
                            + RulesCommand.when(rule));
                }
            }
            return 0;
        }
        List<String> lines = EventFiles.lines(input.events);
        long clock = Long.MIN_VALUE;
        int count = 0;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            String where = input.events + ":" + (i + 1);
            Event event = files.read(
                    lines.get(i).getBytes(StandardCharsets.UTF_8),
                    clock == Long.MIN_VALUE ? System.currentTimeMillis() : clock,
                    where);
            long time = event.getTime().toEpochMilli();
            if (clock != Long.MIN_VALUE && time < clock) {
                out.println("(" + where + ": event " + event.getId() + " is from " + event.getTime()
                        + ", before the clock; the clock" + " stays at " + Instant.ofEpochMilli(clock) + ")");
            }
            clock = Math.max(clock, time);
            for (CorrelationSimulator.Step step : correlation.advanceTo(clock)) {
                print(step, out);
            }
            out.println(Instant.ofEpochMilli(clock) + " event " + event.getId() + ": source=" + event.getSource()
                    + " type=" + event.getType() + " subject=" + event.getSubject());
            print(
                    Evaluator.evaluate(event, book.index(), values::get, Instant.ofEpochMilli(clock)),
                    correlation,
                    event,
                    clock,
                    out);
            count++;
        }
        Long last = correlation.lastDeadline();
        if (last != null) {
            out.println("(after the last event: the clock moves on to " + Instant.ofEpochMilli(last)
                    + " to fire the deadlines still armed)");
            correlation.advanceTo(last).forEach(step -> print(step, out));
        }
        out.println(count + " events");
        return 0;
    }

    /** One event's outcomes; each correlation rule's line is what correlation made of the event. */
    private static void print(
            Evaluation evaluation, CorrelationSimulator correlation, Event event, long now, PrintWriter out) {
        long eventTime = event.getTime() == null ? now : event.getTime().toEpochMilli();
        Map<String, List<CorrelationSimulator.Step>> steps = new HashMap<>();
        for (CorrelationInput in : evaluation.correlations()) {
            for (CorrelationSimulator.Step step : correlation.accept(in, eventTime, now)) {
                if (step.deadline()) {
                    print(step, out);
                } else {
                    steps.computeIfAbsent(step.ruleId(), r -> new ArrayList<>()).add(step);
                }
            }
        }
        for (RuleOutcome outcome : evaluation.outcomes()) {
            List<CorrelationSimulator.Step> correlated = steps.get(outcome.getRuleId());
            if (correlated != null) {
                for (CorrelationSimulator.Step step : correlated) {
                    out.println("  " + outcome.getRuleId() + "@" + outcome.getRuleVersion() + ": " + step.outcome()
                            + " - key '" + step.key() + "': " + step.detail());
                    printEffects(step.actions(), step.registerOps(), out);
                }
                continue;
            }
            out.println("  " + outcome.getRuleId() + "@" + outcome.getRuleVersion() + ": " + outcome.getOutcome()
                    + (outcome.getDetail() == null ? "" : " - " + outcome.getDetail()));
            printEffects(
                    evaluation.actions().stream()
                            .filter(a -> a.getRuleId().equals(outcome.getRuleId()))
                            .toList(),
                    evaluation.registerOps().stream()
                            .filter(op -> op.getRuleId().equals(outcome.getRuleId()))
                            .toList(),
                    out);
        }
    }

    private static void print(CorrelationSimulator.Step step, PrintWriter out) {
        out.println(step.at() + " deadline of " + step.ruleId() + ", key '" + step.key() + "': " + step.outcome()
                + " - " + step.detail());
        printEffects(step.actions(), step.registerOps(), out);
    }

    private static void printEffects(List<Action> actions, List<RegisterOp> ops, PrintWriter out) {
        for (Action a : actions) {
            out.println("      action " + a.getSystem() + "/" + a.getAction() + " target=" + a.getTarget() + " params="
                    + new TreeMap<>(a.getParams()));
        }
        for (RegisterOp op : ops) {
            out.println("      register " + op.getOp().name().toLowerCase() + " " + op.getName()
                    + (op.getValue() == null ? "" : " " + op.getValue()));
        }
    }

    private Map<String, String> readRegisters() throws Exception {
        Map<String, String> values = new HashMap<>();
        if (registers == null) {
            return values;
        }
        JsonNode json;
        try {
            json = new ObjectMapper().readTree(Files.readAllBytes(registers));
        } catch (NoSuchFileException e) {
            throw new Settings.SettingsException("file not found: " + registers);
        }
        if (json == null || !json.isObject()) {
            throw new Settings.SettingsException(registers + " must hold a JSON object of register names to values");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = json.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            values.put(
                    e.getKey(),
                    e.getValue().isValueNode()
                            ? e.getValue().asText()
                            : e.getValue().toString());
        }
        return values;
    }
}
