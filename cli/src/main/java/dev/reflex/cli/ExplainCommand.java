package dev.reflex.cli;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import dev.reflex.audit.explain.ExplainStory;
import dev.reflex.audit.history.DecisionFinder;
import dev.reflex.audit.history.DecisionFinder.Found;
import dev.reflex.audit.history.HistoryReader;
import dev.reflex.engine.EngineApiClient;
import dev.reflex.schemas.Action;
import dev.reflex.schemas.ActionResult;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.Outcome;

@Command(
        name = "explain",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Why did (or didn't) my rule fire? Finds the event, its decision and what became of its actions, and tells the story:",
            "each rule considered, matched or the exact part of its condition that was false with the values it saw, and the actions.",
            "Reads the topics (nothing is written); exit code 1 when the event id is unknown or aged out."
        })
final class ExplainCommand implements Callable<Integer> {
    static final int EXIT_NOT_FOUND = 1;
    /** How far past its decision an event or an action result is looked for, in record time. */
    private static final long EVENT_SEARCH_MS = DecisionFinder.EVENT_SEARCH_MS;

    private static final int DATA_CHARS = 300;
    private static final String API = "engine API";
    /** How far before a decision time the event is looked for when only the decision time is known (a backlog). */
    private static final long API_LOOKBACK_MS = 10 * 60_000;

    @Parameters(
            paramLabel = "EVENT_ID",
            description = "The event's id (CloudEvents id; for webhooks, the delivery id or the one assigned).")
    String eventId;

    @Option(names = "--json", description = "Print the story as JSON, for machines.")
    boolean json;

    @Option(
            names = "--since",
            paramLabel = "TIME",
            description = "Look for the decision from this time on (faster on long histories): " + Times.HELP
                    + ". Default: all retained.")
    String since;

    @Mixin
    EngineApiOptions engine;

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
        try (HistoryReader reader = new HistoryReader(connection.kafka(), connection.names(), connection.serdes())) {
            Found<Decision> found = EngineApiClient.decision(engine.url, engine.token, eventId)
                    .map(d -> new Found<>(d, d.getDecidedAt().toEpochMilli(), API))
                    .orElseGet(() -> DecisionFinder.decision(
                            reader, eventId, start, Progress.forConsole(err, "decisions searched")));
            if (found == null) {
                Instant earliest = reader.earliest(reader.names().decisions());
                err.println("no decision for event '" + eventId + "' on "
                        + reader.names().decisions()
                        + (start == null ? "" : " since " + start)
                        + ": the id is unknown, or its decision has aged out of retention"
                        + (earliest == null
                                ? " (the topic is empty)"
                                : " (the oldest decision kept is from " + earliest + ")"));
                return EXIT_NOT_FOUND;
            }
            Decision decision = found.value();
            // a decision from the API carries its decision time, a little after the event's record time: look further
            // back
            long back = found.where().equals(API) ? API_LOOKBACK_MS : EVENT_SEARCH_MS;
            Event event = DecisionFinder.event(reader, decision, found.time(), back);
            ExplainStory story = ExplainStory.of(event, decision, reader.ruleHistory())
                    .withResults(DecisionFinder.results(reader, decision, found.time() - back));
            if (json) {
                out.println(new ObjectMapper()
                        .enable(SerializationFeature.INDENT_OUTPUT)
                        .writeValueAsString(story.toMap()));
            } else {
                print(story, out);
            }
            return 0;
        }
    }

    static void print(ExplainStory story, PrintWriter out) {
        Decision d = story.decision();
        Event event = story.event();
        List<ExplainStory.RuleLine> rules = story.rules();
        String note = story.note();
        if (story.isDeadline()) {
            var c = d.getRules().get(0).getCorrelation();
            out.println("correlation deadline " + d.getEventId() + "   rule "
                    + d.getRules().get(0).getRuleId() + "   key " + c.getKey());
            out.println("  armed at " + Instant.ofEpochMilli(c.getArmedAt()) + " by event " + c.getBy()
                    + ", due at "
                    + Instant.ofEpochMilli(c.getDueAt()) + ", fired " + c.getLateMs()
                    + " ms after ('reflex explain "
                    + c.getBy() + "' tells that event's story)");
        } else {
            out.println("event " + d.getEventId() + "   " + d.getEventSource() + " / " + d.getEventType()
                    + (d.getSubject() == null ? "" : "   subject " + d.getSubject()));
        }
        if (story.isDeadline()) {
            // no event of its own: the wall clock fired it
        } else if (event != null) {
            out.println("  time " + event.getTime()
                    + (event.getSeverity() == null ? "" : "   severity " + event.getSeverity())
                    + (event.getLabels().isEmpty() ? "" : "   labels " + event.getLabels()));
            if (event.getData() != null) {
                out.println("  data " + cut(event.getData()));
            }
        } else {
            out.println("  (the event itself is no longer on the events topic; its decision is below)");
        }
        out.println(String.format(
                Locale.ROOT,
                "decided %s by %s in %d µs: %d rule(s) considered, %d matched",
                d.getDecidedAt(),
                d.getEngineInstance(),
                d.getEvaluationMicros(),
                d.getRulesConsidered(),
                rules.stream()
                        .filter(r -> r.outcome() == Outcome.MATCHED || r.outcome() == Outcome.FIRED)
                        .count()));
        if (note != null) {
            out.println("  " + note);
        }
        for (ExplainStory.RuleLine rule : rules) {
            String mark = switch (rule.outcome()) {
                case MATCHED -> "MATCHED  ";
                case CONDITION_FALSE -> "no match ";
                case DISABLED -> "disabled ";
                case QUARANTINED -> "QUARANTINED";
                case ERROR -> "ERROR    ";
                case CORRELATING -> "correlating";
                case COUNTED -> "counted  ";
                case THROTTLED -> "THROTTLED";
                case ARMED -> "armed    ";
                case CANCELLED -> "cancelled";
                case FIRED -> "FIRED    ";
                case LATE -> "LATE     ";
                case NOTED -> "noted    ";
                case ADVANCED -> "ADVANCED ";
                case IGNORED -> "ignored  ";
            };
            out.println("  " + mark + " " + rule.id() + "  (version " + shortVersion(rule.version()) + ")"
                    + (rule.why() == null ? "" : ": " + rule.why()));
            if (rule.outcome() == Outcome.MATCHED || rule.outcome() == Outcome.FIRED) {
                for (String id : d.getActionIds()) {
                    Action a = story.action(id);
                    if (a != null && !a.getRuleId().equals(rule.id())) {
                        continue;
                    }
                    out.println("      -> "
                            + (a == null
                                    ? "action"
                                    : a.getSystem() + " " + a.getAction() + " " + a.getTarget()
                                            + (a.getParams().isEmpty() ? "" : " " + a.getParams()))
                            + "   [" + id + "]");
                    out.println("         " + result(story.result(id)));
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
            new TreeMap<>(d.getRegistersRead())
                    .forEach((name, value) -> read.add(name + " = " + (value == null ? "(unset)" : '"' + value + '"')));
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

    private static String shortVersion(String version) {
        return version.length() > 12 ? version.substring(0, 12) : version;
    }

    private static String cut(String text) {
        String oneLine = text.replace('\n', ' ');
        return oneLine.length() > DATA_CHARS ? oneLine.substring(0, DATA_CHARS) + "..." : oneLine;
    }
}
