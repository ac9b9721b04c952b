package dev.reflex.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import dev.reflex.audit.history.FlowHistory;
import dev.reflex.audit.history.HistoryReader;
import dev.reflex.audit.publish.RulePublisher;
import dev.reflex.engine.EngineApiClient;
import dev.reflex.rules.RuleBook;
import dev.reflex.rules.expr.Durations;
import dev.reflex.rules.expr.RuleException;
import dev.reflex.rules.flow.FlowRunner;
import dev.reflex.rules.flow.FlowSimulator;
import dev.reflex.schemas.Action;
import dev.reflex.schemas.CorrelationInput;
import dev.reflex.schemas.CorrelationRole;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.FlowInstance;
import dev.reflex.schemas.FlowThread;
import dev.reflex.schemas.FlowTransition;

@Command(
        name = "flows",
        mixinStandardHelpOptions = true,
        description = "Flows: list instances, show one (state and history), cancel or signal one, test flows offline.",
        subcommands = {
            FlowsCommand.ListFlows.class,
            FlowsCommand.Show.class,
            FlowsCommand.Cancel.class,
            FlowsCommand.Signal.class,
            FlowsCommand.Test.class
        })
final class FlowsCommand {

    @Command(
            name = "list",
            mixinStandardHelpOptions = true,
            description =
                    "Flow instances with a transition on reflex.flows in the range: flow, key, run, status, last transition.")
    static final class ListFlows implements Callable<Integer> {
        @Option(
                names = "--since",
                paramLabel = "TIME",
                defaultValue = "1d",
                description = "From this time on: " + Times.HELP + " (default: ${DEFAULT-VALUE}).")
        String since;

        @Option(names = "--all", description = "Also instances that finished (ended, failed, cancelled).")
        boolean all;

        @Mixin
        ConnectionOptions connection;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            connection.admin().close();
            try (HistoryReader reader =
                    new HistoryReader(connection.kafka(), connection.names(), connection.serdes())) {
                Map<String, FlowHistory.Seen> seen =
                        FlowHistory.instances(reader, Times.parse(since, Instant.now(), "--since"));
                List<FlowHistory.Seen> shown = seen.values().stream()
                        .filter(s -> all || s.status().equals("running"))
                        .toList();
                if (shown.isEmpty()) {
                    out.println("no " + (all ? "" : "running ") + "flow instances since " + since
                            + (all ? "" : " (--all lists finished ones too)"));
                    return 0;
                }
                out.println(
                        String.format(Locale.ROOT, "%-24s %-24s %4s %-10s %s", "FLOW", "KEY", "RUN", "STATUS", "LAST"));
                for (FlowHistory.Seen s : shown) {
                    out.println(String.format(
                            Locale.ROOT,
                            "%-24s %-24s %4d %-10s %s  %s",
                            s.flowId(),
                            s.key(),
                            s.run(),
                            s.status(),
                            s.last().getAt(),
                            FlowRunner.words(s.last())));
                }
                return 0;
            }
        }
    }

    @Command(
            name = "show",
            mixinStandardHelpOptions = true,
            description = "One instance: its current state from the engine's API, and its history from reflex.flows.")
    static final class Show implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "FLOW")
        String flow;

        @Parameters(index = "1", paramLabel = "KEY")
        String key;

        @Option(
                names = "--since",
                paramLabel = "TIME",
                defaultValue = "7d",
                description = "History from: " + Times.HELP + " (default: ${DEFAULT-VALUE}).")
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
            connection.admin().close();
            Optional<FlowInstance> now = EngineApiClient.flow(engine.url, engine.token, flow, key);
            out.println("flow " + flow + "   key " + key);
            if (now.isPresent()) {
                FlowInstance i = now.get();
                out.println("  run " + i.getRun() + " " + i.getStatus().name().toLowerCase(Locale.ROOT) + ", version "
                        + i.getVersion()
                        + ", started " + Instant.ofEpochMilli(i.getStartedAt()) + " by " + i.getStartedBy()
                        + (i.getOutcome() == null ? "" : " (" + i.getOutcome() + ")"));
                i.getContext().forEach((k, v) -> out.println("  context." + k + " = " + v));
                for (FlowThread t : i.getThreads()) {
                    out.println(
                            "  at " + t.getStep() + ": " + t.getPhase().name().toLowerCase(Locale.ROOT)
                                    + (t.getAttempt() > 0 ? ", attempt " + (t.getAttempt() + 1) : "")
                                    + (t.getDueAt() == null ? "" : ", due " + Instant.ofEpochMilli(t.getDueAt()))
                                    + (t.getActionId() == null ? "" : ", action " + t.getActionId()));
                }
                if (!i.getQueue().isEmpty()) {
                    out.println("  " + i.getQueue().size() + " start(s) queued");
                }
            } else {
                out.println("  (no current state from the engine: it is not reachable at " + engine.url
                        + ", or has no such instance)");
            }
            try (HistoryReader reader =
                    new HistoryReader(connection.kafka(), connection.names(), connection.serdes())) {
                List<FlowTransition> history =
                        FlowHistory.of(reader, flow, key, Times.parse(since, Instant.now(), "--since"));
                out.println("history (" + history.size() + " transitions since " + since + "):");
                for (FlowTransition t : history) {
                    out.println("  " + t.getAt() + "  run " + t.getRun() + "  " + FlowRunner.words(t)
                            + (t.getEventId() == null ? "" : "   [" + t.getEventId() + "]"));
                }
                return now.isEmpty() && history.isEmpty() ? ExplainCommand.EXIT_NOT_FOUND : 0;
            }
        }
    }

    /** Sends one input straight to a flow instance, on the engine's internal topic keyed by flow id/key. */
    static void send(ConnectionOptions connection, String flow, String key, CorrelationRole role, Event event)
            throws Exception {
        connection.admin().close();
        try (KafkaProducer<String, CorrelationInput> producer = new KafkaProducer<>(
                connection.kafka().client("acks", "all", "enable.idempotence", true),
                new StringSerializer(),
                connection.serdes().value(CorrelationInput.class).serializer())) {
            producer.send(new ProducerRecord<>(
                            connection.names().correlate(),
                            flow + "/" + key,
                            CorrelationInput.newBuilder()
                                    .setRuleId(flow)
                                    .setRuleVersion("")
                                    .setRole(role)
                                    .setKey(key)
                                    .setEvent(event)
                                    .build()))
                    .get();
        }
    }

    @Command(
            name = "cancel",
            mixinStandardHelpOptions = true,
            description = "Cancel a flow's running instance (recorded as cancelled).")
    static final class Cancel implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "FLOW")
        String flow;

        @Parameters(index = "1", paramLabel = "KEY")
        String key;

        @Option(
                names = "--reason",
                paramLabel = "TEXT",
                defaultValue = "cancelled by hand",
                description = "Recorded with the cancel.")
        String reason;

        @Mixin
        ConnectionOptions connection;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            String id = "cancel-" + UUID.randomUUID();
            Event event = Event.newBuilder()
                    .setId(id)
                    .setSource("reflex")
                    .setType("flow.cancel")
                    .setSubject(key)
                    .setTime(Instant.now())
                    .setData(JsonNodeFactory.instance
                            .objectNode()
                            .put("reason", reason)
                            .toString())
                    .build();
            send(connection, flow, key, CorrelationRole.CANCEL, event);
            spec.commandLine()
                    .getOut()
                    .println("cancel " + id + " sent to " + flow + " " + key + "; 'reflex flows show " + flow + " "
                            + key + "' shows it once the engine has taken it");
            return 0;
        }
    }

    @Command(
            name = "signal",
            mixinStandardHelpOptions = true,
            description =
                    "Give an event to one flow instance, as if a wait step's event had come (an approval, an acknowledgement).")
    static final class Signal implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "FLOW")
        String flow;

        @Parameters(index = "1", paramLabel = "KEY")
        String key;

        @Option(
                names = "--event",
                required = true,
                paramLabel = "FILE",
                description = "The event: a JSON object or a CloudEvent.")
        Path event;

        @Option(
                names = "--source",
                paramLabel = "NAME",
                defaultValue = "signal",
                description = "Source of a plain JSON event (default: ${DEFAULT-VALUE}).")
        String source;

        @Mixin
        ConnectionOptions connection;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            Event parsed = new EventFiles(null, List.of(), source).read(event);
            send(connection, flow, key, CorrelationRole.SIGNAL, parsed);
            spec.commandLine()
                    .getOut()
                    .println("signal " + parsed.getId() + " (" + parsed.getSource() + " / " + parsed.getType()
                            + ") sent to " + flow + " " + key);
            return 0;
        }
    }

    @Command(
            name = "test",
            mixinStandardHelpOptions = true,
            description = {
                "Run the flows (and rules) under DIR offline against timed events and canned action results: every",
                "transition and action, with the events' times as the clock. Needs no cluster."
            })
    static final class Test implements Callable<Integer> {
        @Parameters(paramLabel = "DIR", description = "Directory of rule and flow YAML files.")
        Path dir;

        @Option(
                names = "--events",
                required = true,
                paramLabel = "FILE.jsonl",
                description = "Events, one JSON object or CloudEvent per line, in order; each at its 'time'.")
        Path events;

        @Option(
                names = "--results",
                paramLabel = "FILE.json",
                description = {
                    "Canned results by \"system/action\": \"succeeded\", "
                            + "\"failed\", or a list of {\"status\": ..., \"after\": \"30s\"} taken in turn (the last repeats). An action with no canned "
                            + "result gets none, so its step times out."
                })
        Path results;

        @Option(
                names = "--source",
                paramLabel = "NAME",
                defaultValue = "test",
                description = "Source of plain JSON events (default: ${DEFAULT-VALUE}).")
        String source;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            RuleBook book = new RuleBook();
            RulePublisher.load(dir).forEach(book::put);
            FlowSimulator sim = new FlowSimulator(book, name -> null, canned());
            EventFiles files = new EventFiles(null, List.of(), source);
            List<String> lines = EventFiles.lines(events);
            long clock = Long.MIN_VALUE;
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).isBlank()) {
                    continue;
                }
                Event event = files.read(
                        lines.get(i).getBytes(StandardCharsets.UTF_8),
                        clock == Long.MIN_VALUE ? System.currentTimeMillis() : clock,
                        events + ":" + (i + 1));
                clock = Math.max(clock, event.getTime().toEpochMilli());
                sim.accept(event, clock).forEach(step -> print(step, out));
            }
            if (sim.lastDue() != null) {
                out.println("(after the last event: the clock moves on while timers and results are due)");
                // each round can schedule more (a retry's backoff, a result); a day of simulated time past the events
                // at most
                long until = clock + 86_400_000L;
                Long last;
                while ((last = sim.lastDue()) != null && last <= until) {
                    sim.advanceTo(last).forEach(step -> print(step, out));
                }
            }
            sim.instances()
                    .forEach((stateKey, instance) -> out.println(stateKey + ": run " + instance.getRun() + " "
                            + instance.getStatus().name().toLowerCase(Locale.ROOT)
                            + (instance.getThreads().isEmpty()
                                    ? ""
                                    : " at "
                                            + String.join(
                                                    ", ",
                                                    instance.getThreads().stream()
                                                            .map(FlowThread::getStep)
                                                            .toList()))));
            return 0;
        }

        private static void print(FlowSimulator.Step step, PrintWriter out) {
            String what = step.event() == null
                    ? "timers"
                    : step.event().getSource().equals("reflex")
                                    && step.event().getId().startsWith("result-")
                            ? "result " + step.event().getType()
                            : "event " + step.event().getId() + " ("
                                    + step.event().getSource() + " / "
                                    + step.event().getType() + ")";
            out.println(
                    step.at() + " " + what + (step.flowId() == null ? "" : " -> " + step.flowId() + " " + step.key()));
            step.transitions().forEach(t -> out.println("    " + t));
            for (Action a : step.actions()) {
                out.println("    action " + a.getSystem() + "/" + a.getAction() + " target=" + a.getTarget()
                        + " params=" + new TreeMap<>(a.getParams()));
            }
        }

        private Map<String, List<FlowSimulator.Canned>> canned() throws Exception {
            Map<String, List<FlowSimulator.Canned>> canned = new HashMap<>();
            if (results == null) {
                return canned;
            }
            JsonNode json = new ObjectMapper().readTree(Files.readAllBytes(EventFiles.existing(results)));
            if (json == null || !json.isObject()) {
                throw new Settings.SettingsException(
                        results + " must hold a JSON object of \"system/action\" to results");
            }
            for (var it = json.fields(); it.hasNext(); ) {
                var entry = it.next();
                List<FlowSimulator.Canned> list = new ArrayList<>();
                JsonNode value = entry.getValue();
                for (JsonNode item : value.isArray() ? value : List.of(value)) {
                    String status = item.isTextual()
                            ? item.asText()
                            : item.path("status").asText();
                    if (!status.equals("succeeded") && !status.equals("failed")) {
                        throw new Settings.SettingsException(results + ": " + entry.getKey()
                                + ": a status is succeeded or failed, not '" + status + "'");
                    }
                    long after;
                    try {
                        after = item.has("after")
                                ? Durations.parse(item.path("after").asText(), "after")
                                : 1_000;
                    } catch (RuleException e) {
                        throw new Settings.SettingsException(results + ": " + entry.getKey() + ": " + e.reason());
                    }
                    list.add(new FlowSimulator.Canned(status, after));
                }
                canned.put(entry.getKey(), list);
            }
            return canned;
        }
    }
}
