package dev.reflex.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Utils;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import dev.reflex.rules.CompiledRule;
import dev.reflex.rules.DecisionReplay;
import dev.reflex.rules.Evaluator;
import dev.reflex.rules.IndexedRule;
import dev.reflex.rules.RuleHistory;
import dev.reflex.schemas.Action;
import dev.reflex.schemas.ActionResult;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.DecisionDetail;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.Outcome;
import dev.reflex.schemas.RuleOutcome;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "explain", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Why did (or didn't) my rule fire? Finds the event, its decision and what became of its actions, and tells the story:",
        "each rule considered, matched or the exact part of its condition that was false with the values it saw, and the actions.",
        "Reads the topics (nothing is written); exit code 1 when the event id is unknown or aged out."})
final class ExplainCommand implements Callable<Integer> {
    static final int EXIT_NOT_FOUND = 1;
    /** How far past its decision an event or an action result is looked for, in record time. */
    private static final long EVENT_SEARCH_MS = HistoryReader.JOIN_WINDOW_MS;
    private static final int DATA_CHARS = 300;
    private static final String API = "engine API";
    /** How far before a decision time the event is looked for when only the decision time is known (a backlog). */
    private static final long API_LOOKBACK_MS = 10 * 60_000;

    @Parameters(paramLabel = "EVENT_ID", description = "The event's id (CloudEvents id; for webhooks, the delivery id or the one assigned).")
    String eventId;

    @Option(names = "--json", description = "Print the story as JSON, for machines.")
    boolean json;

    @Option(names = "--since", paramLabel = "TIME",
        description = "Look for the decision from this time on (faster on long histories): " + Times.HELP + ". Default: all retained.")
    String since;

    @Option(names = "--engine-url", paramLabel = "URL", defaultValue = "${env:REFLEX_ENGINE_URL:-http://127.0.0.1:8095}",
        description = "The engine's read-only API, asked first for the decision when reachable (default: ${DEFAULT-VALUE}); "
            + "'none' reads the topics only.")
    String engineUrl;

    @Mixin
    ConnectionOptions connection;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Instant start = since == null ? null : Times.parse(since, Instant.now(), "--since");
        connection.admin().close();
        try (HistoryReader reader = new HistoryReader(connection.bootstrapServers, connection.names(), connection.serdes())) {
            Found<Decision> found = EngineApi.Client.decision(engineUrl, eventId)
                .map(d -> new Found<>(d, d.getDecidedAt().toEpochMilli(), API))
                .orElseGet(() -> findDecision(reader, start, err));
            if (found == null) {
                Instant earliest = reader.earliest(reader.names().decisions());
                err.println("no decision for event '" + eventId + "' on " + reader.names().decisions()
                    + (start == null ? "" : " since " + start) + ": the id is unknown, or its decision has aged out of retention"
                    + (earliest == null ? " (the topic is empty)" : " (the oldest decision kept is from " + earliest + ")"));
                return EXIT_NOT_FOUND;
            }
            Decision decision = found.value();
            // a decision from the API carries its decision time, a little after the event's record time: look further back
            long back = found.where().equals(API) ? API_LOOKBACK_MS : EVENT_SEARCH_MS;
            Event event = findEvent(reader, decision, found.time(), back);
            RuleHistory history = reader.ruleHistory();
            Story story = story(event, decision, history);
            story.results = findResults(reader, decision, found.time() - back);
            if (json) {
                out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(story.toMap()));
            } else {
                story.print(out);
            }
            return 0;
        }
    }

    record Found<T>(T value, long time, String where) {
    }

    private Found<Decision> findDecision(HistoryReader reader, Instant start, PrintWriter err) {
        String topic = reader.names().decisions();
        List<TopicPartition> partitions = reader.partitions(topic);
        if (partitions.isEmpty()) {
            return null;
        }
        // decisions are keyed by event id: only the partition the producer chose for that key can hold it
        TopicPartition partition = partitionFor(topic, partitions.size(), eventId);
        List<HistoryReader.Range> range = reader.ranges(List.of(partition), start, null);
        Progress progress = Progress.forConsole(err, "decisions searched");
        progress.start(range.get(0).size());
        long[] read = {0};
        @SuppressWarnings("unchecked")
        Found<Decision>[] found = new Found[1];
        reader.scanRanges(range, record -> {
            if (++read[0] % 10_000 == 0) {
                progress.update(read[0]);
            }
            if (eventId.equals(record.key()) && record.value() != null) {
                Decision decision = reader.read(reader.decisions(), record);
                if (decision != null) {
                    found[0] = new Found<>(decision, record.timestamp(), topic);
                }
            }
            return true;
        });
        progress.finish(read[0]);
        return found[0];
    }

    static TopicPartition partitionFor(String topic, int partitions, String key) {
        return new TopicPartition(topic, Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions);
    }

    /** The event, from the events topic near the decision's record time (the two carry the same timestamp). */
    private Event findEvent(HistoryReader reader, Decision decision, long time, long back) {
        String topic = reader.names().events();
        List<TopicPartition> partitions = reader.partitions(topic);
        if (partitions.isEmpty()) {
            return null;
        }
        String key = decision.getSubject() != null ? decision.getSubject() : decision.getEventId();
        TopicPartition partition = partitionFor(topic, partitions.size(), key);
        List<HistoryReader.Range> range = reader.ranges(List.of(partition), Instant.ofEpochMilli(time - back),
            Instant.ofEpochMilli(time + EVENT_SEARCH_MS));
        Event[] found = new Event[1];
        reader.scanRanges(range, record -> {
            if (record.value() != null && key.equals(record.key())) {
                Event event = reader.read(reader.events(), record);
                if (event != null && event.getId().equals(decision.getEventId())) {
                    found[0] = event;
                    return false;
                }
            }
            return true;
        });
        return found[0];
    }

    /** The last result of each of the decision's actions, from the results topic from {@code time} on. */
    private Map<String, ActionResult> findResults(HistoryReader reader, Decision decision, long time) {
        Map<String, ActionResult> results = new LinkedHashMap<>();
        if (decision.getActionIds().isEmpty()) {
            return results;
        }
        String topic = reader.names().actionResults();
        List<TopicPartition> partitions = reader.partitions(topic);
        if (partitions.isEmpty()) {
            return results;
        }
        Set<String> ids = Set.copyOf(decision.getActionIds());
        List<TopicPartition> wanted = ids.stream().map(id -> partitionFor(topic, partitions.size(), id)).distinct().toList();
        var deserializer = reader.serdes().value(ActionResult.class).deserializer();
        reader.scanRanges(reader.ranges(wanted, Instant.ofEpochMilli(time), null), record -> {
            if (record.value() != null && ids.contains(record.key())) {
                ActionResult result = reader.read(deserializer, record);
                if (result != null) {
                    results.put(record.key(), result);
                }
            }
            return true;
        });
        return results;
    }

    /** One rule's part in the story. */
    record RuleLine(String id, String version, Outcome outcome, String why) {
    }

    static Story story(Event event, Decision decision, RuleHistory history) {
        Story story = new Story(event, decision);
        Map<String, String> registers = decision.getRegistersRead();
        List<RuleOutcome> outcomes = decision.getRules();
        if (decision.getDetail() == DecisionDetail.SUMMARY && event != null && history.hasTimeline()) {
            // a summary keeps no outcomes: take the rules live at the decision time, registers unknown (read as unset)
            outcomes = new ArrayList<>();
            for (IndexedRule rule : history.asOf(decision.getDecidedAt().toEpochMilli()).candidates(event.getSource(), event.getType())) {
                outcomes.add(RuleOutcome.newBuilder().setRuleId(rule.id()).setRuleVersion(rule.version())
                    .setOutcome(Outcome.CONDITION_FALSE).build());
            }
            story.note = "recorded as a summary (reflex.decisions.unmatched=summary): the rules below are those applied at the decision "
                + "time, and registers read as unset";
        }
        for (RuleOutcome outcome : outcomes) {
            String why = outcome.getDetail();
            if (outcome.getOutcome() == Outcome.CONDITION_FALSE) {
                Optional<IndexedRule> rule = history.compiled(outcome.getRuleId(), outcome.getRuleVersion());
                if (rule.isEmpty()) {
                    why = "(this version is not in the rule history, so the failing part cannot be shown)";
                } else if (event == null) {
                    why = "(the event is no longer on the events topic, so the failing part cannot be shown)";
                } else if (rule.get() instanceof CompiledRule compiled) {
                    why = Evaluator.whyFalse(compiled, event, name -> registers.get(name), decision.getDecidedAt())
                        .orElse("(the condition holds when replayed: see 'reflex replay' to audit this decision)");
                }
            }
            story.rules.add(new RuleLine(outcome.getRuleId(), outcome.getRuleVersion(), outcome.getOutcome(), why));
        }
        if (event != null && decision.getDetail() == DecisionDetail.FULL && !decision.getActionIds().isEmpty()) {
            DecisionReplay.Replayed replayed = new DecisionReplay(history).replay(event, decision);
            if (replayed.evaluation() != null) {
                replayed.evaluation().actions().forEach(a -> story.actions.put(a.getId(), a));
            }
        }
        return story;
    }

    static final class Story {
        final Event event;
        final Decision decision;
        final List<RuleLine> rules = new ArrayList<>();
        final Map<String, Action> actions = new HashMap<>();
        Map<String, ActionResult> results = Map.of();
        String note;

        Story(Event event, Decision decision) {
            this.event = event;
            this.decision = decision;
        }

        void print(PrintWriter out) {
            Decision d = decision;
            out.println("event " + d.getEventId() + "   " + d.getEventSource() + " / " + d.getEventType()
                + (d.getSubject() == null ? "" : "   subject " + d.getSubject()));
            if (event != null) {
                out.println("  time " + event.getTime() + (event.getSeverity() == null ? "" : "   severity " + event.getSeverity())
                    + (event.getLabels().isEmpty() ? "" : "   labels " + event.getLabels()));
                if (event.getData() != null) {
                    out.println("  data " + cut(event.getData()));
                }
            } else {
                out.println("  (the event itself is no longer on the events topic; its decision is below)");
            }
            out.println(String.format(Locale.ROOT, "decided %s by %s in %d µs: %d rule(s) considered, %d matched",
                d.getDecidedAt(), d.getEngineInstance(), d.getEvaluationMicros(), d.getRulesConsidered(),
                rules.stream().filter(r -> r.outcome() == Outcome.MATCHED).count()));
            if (note != null) {
                out.println("  " + note);
            }
            for (RuleLine rule : rules) {
                String mark = switch (rule.outcome()) {
                    case MATCHED -> "MATCHED  ";
                    case CONDITION_FALSE -> "no match ";
                    case DISABLED -> "disabled ";
                    case QUARANTINED -> "QUARANTINED";
                    case ERROR -> "ERROR    ";
                };
                out.println("  " + mark + " " + rule.id() + "  (version " + shortVersion(rule.version()) + ")"
                    + (rule.why() == null ? "" : ": " + rule.why()));
                if (rule.outcome() == Outcome.MATCHED) {
                    for (String id : d.getActionIds()) {
                        Action a = actions.get(id);
                        if (a != null && !a.getRuleId().equals(rule.id())) {
                            continue;
                        }
                        out.println("      -> " + (a == null ? "action" : a.getSystem() + " " + a.getAction() + " " + a.getTarget()
                            + (a.getParams().isEmpty() ? "" : " " + a.getParams())) + "   [" + id + "]");
                        out.println("         " + result(results.get(id)));
                    }
                }
            }
            if (rules.isEmpty()) {
                out.println("  no rule listens to " + d.getEventSource() + " / " + d.getEventType());
            }
            if (!d.getRegisterOps().isEmpty()) {
                out.println("register operations: " + String.join(", ", d.getRegisterOps()));
            }
            if (!d.getRegistersRead().isEmpty()) {
                List<String> read = new ArrayList<>();
                new java.util.TreeMap<>(d.getRegistersRead()).forEach((name, value) ->
                    read.add(name + " = " + (value == null ? "(unset)" : '"' + value + '"')));
                out.println("registers read: " + String.join(", ", read));
            }
        }

        private static String result(ActionResult r) {
            if (r == null) {
                return "no result yet (the actor has not reported it, or results aged out)";
            }
            return r.getStatus() + " after " + r.getAttempts() + " attempt(s), " + r.getDurationMs() + " ms"
                + (r.getHttpStatus() == null ? "" : ", HTTP " + r.getHttpStatus())
                + (r.getExitCode() == null ? "" : ", exit code " + r.getExitCode())
                + (r.getError() == null ? "" : ": " + r.getError())
                + " (" + r.getFinishedAt() + ")";
        }

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            Decision d = decision;
            m.put("eventId", d.getEventId());
            m.put("source", d.getEventSource());
            m.put("type", d.getEventType());
            m.put("subject", d.getSubject());
            if (event != null) {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("time", event.getTime().toString());
                e.put("severity", event.getSeverity());
                e.put("labels", event.getLabels());
                e.put("data", event.getData());
                m.put("event", e);
            } else {
                m.put("event", null);
            }
            m.put("decidedAt", d.getDecidedAt().toString());
            m.put("engineInstance", d.getEngineInstance());
            m.put("evaluationMicros", d.getEvaluationMicros());
            m.put("detail", d.getDetail().name());
            if (note != null) {
                m.put("note", note);
            }
            List<Map<String, Object>> rs = new ArrayList<>();
            for (RuleLine rule : rules) {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("id", rule.id());
                r.put("version", rule.version());
                r.put("outcome", rule.outcome().name());
                r.put("why", rule.why());
                rs.add(r);
            }
            m.put("rules", rs);
            List<Map<String, Object>> as = new ArrayList<>();
            for (String id : d.getActionIds()) {
                Map<String, Object> a = new LinkedHashMap<>();
                a.put("id", id);
                Action action = actions.get(id);
                if (action != null) {
                    a.put("ruleId", action.getRuleId());
                    a.put("system", action.getSystem());
                    a.put("action", action.getAction());
                    a.put("target", action.getTarget());
                    a.put("params", action.getParams());
                }
                ActionResult r = results.get(id);
                if (r != null) {
                    Map<String, Object> result = new LinkedHashMap<>();
                    result.put("status", r.getStatus().name());
                    result.put("attempts", r.getAttempts());
                    result.put("durationMs", r.getDurationMs());
                    result.put("httpStatus", r.getHttpStatus());
                    result.put("exitCode", r.getExitCode());
                    result.put("error", r.getError());
                    result.put("finishedAt", r.getFinishedAt().toString());
                    a.put("result", result);
                } else {
                    a.put("result", null);
                }
                as.add(a);
            }
            m.put("actions", as);
            m.put("registerOps", d.getRegisterOps());
            m.put("registersRead", d.getRegistersRead());
            return m;
        }
    }

    private static String shortVersion(String version) {
        return version.length() > 12 ? version.substring(0, 12) : version;
    }

    private static String cut(String text) {
        String oneLine = text.replace('\n', ' ');
        return oneLine.length() > DATA_CHARS ? oneLine.substring(0, DATA_CHARS) + "..." : oneLine;
    }
}
