package dev.reflex.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import dev.reflex.audit.history.HistoryReader;
import dev.reflex.audit.history.PairStats;
import dev.reflex.audit.history.RuleHistory;
import dev.reflex.audit.publish.RulePublisher;
import dev.reflex.audit.replay.AuditRun;
import dev.reflex.audit.replay.DecisionReplay;
import dev.reflex.audit.replay.WhatIf;
import dev.reflex.audit.replay.WhatIfRun;
import dev.reflex.rules.files.RuleDiff;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.Rule;

@Command(
        name = "replay",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Re-evaluate recorded events, with no side effects: nothing is produced and no live state is touched, so it runs "
                    + "beside a live engine.",
            "Audit (default): re-evaluate each event with the rule versions and register values its decision recorded, and report "
                    + "every decision that does not reproduce. Exit code 1 if any does not.",
            "What-if (--rules DIR): evaluate the same events against the rules in DIR, as 'rules apply' would resolve them, and "
                    + "list per rule the events that would newly fire, stop firing, or fire with different actions."
        })
final class ReplayCommand implements Callable<Integer> {
    static final int EXIT_NOT_REPRODUCED = 1;

    @Option(
            names = "--from",
            paramLabel = "TIME",
            defaultValue = "1h",
            description = "Start of the range (record time of the events), inclusive: " + Times.HELP
                    + ". Default: ${DEFAULT-VALUE}.")
    String from;

    @Option(
            names = "--to",
            paramLabel = "TIME",
            defaultValue = "now",
            description = "End of the range, inclusive. Default: ${DEFAULT-VALUE}.")
    String to;

    @Option(names = "--source", paramLabel = "SOURCE", description = "Only events of this source.")
    String source;

    @Option(
            names = "--rules",
            paramLabel = "DIR",
            description = "What-if mode: the proposed rules (a rules directory).")
    Path rules;

    @Option(
            names = "--show",
            paramLabel = "N",
            defaultValue = "20",
            description =
                    "Audit: how many decisions that do not reproduce to print in full (default: ${DEFAULT-VALUE}).")
    int show;

    @Mixin
    ConnectionOptions connection;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Instant now = Instant.now();
        Instant start = Times.parse(from, now, "--from");
        Instant end = Times.parse(to, now, "--to");
        if (start.isAfter(end)) {
            throw new Settings.SettingsException("--from " + start + " is after --to " + end);
        }
        List<Rule> proposed = rules == null ? null : RulePublisher.load(rules);
        connection.admin().close();
        try (HistoryReader reader = new HistoryReader(connection.kafka(), connection.names(), connection.serdes())) {
            RuleHistory history = reader.ruleHistory();
            String range = connection.names().events() + " from " + start + " to " + end
                    + (source == null ? "" : ", source " + source);
            if (proposed == null) {
                out.println("audit of " + range + " (" + history.versions() + " rule versions in the history)");
                out.flush();
                return audit(reader, new DecisionReplay(history), start, end, out, err);
            }
            out.println("what-if: " + proposed.size() + " rules from " + rules + " against " + range);
            out.flush();
            whatIf(reader, new DecisionReplay(history), proposed, reader.liveRules(), start, end, out, err);
            return 0;
        }
    }

    private int audit(
            HistoryReader reader, DecisionReplay replay, Instant start, Instant end, PrintWriter out, PrintWriter err)
            throws Exception {
        AuditRun.Report report =
                AuditRun.run(reader, replay, start, end, source, show, Progress.forConsole(err, "events"));
        PairStats stats = report.pairs();
        if (stats.events() == 0 && stats.decisions() == 0) {
            out.println("no recorded events in that range; nothing to check");
            return 0;
        }
        long checked = report.reproduced() + report.notReproduced();
        out.println(String.format(
                Locale.ROOT,
                "%,d events, %,d decisions checked%s: %,d reproduced, %,d did not%s",
                stats.events(),
                checked,
                stats.correlationSteps() == 0
                        ? ""
                        : String.format(
                                Locale.ROOT,
                                " (%,d of them correlation and flow steps, re-run from the state each recorded)",
                                stats.correlationSteps()),
                report.reproduced(),
                report.notReproduced(),
                report.ok() ? "" : ":"));
        for (AuditRun.Difference d : report.differences()) {
            Decision decision = d.decision();
            out.println(
                    "  " + decision.getEventId() + " (" + decision.getEventSource() + " / " + decision.getEventType()
                            + (d.event() == null ? ", a correlation step" : "") + ", decided " + decision.getDecidedAt()
                            + " by "
                            + decision.getEngineInstance() + "):");
            d.differences().forEach(line -> out.println("      " + line));
        }
        if (report.notReproduced() > report.differences().size()) {
            out.println(String.format(
                    Locale.ROOT,
                    "  ... and %,d more (--show N prints more)",
                    report.notReproduced() - report.differences().size()));
        }
        report.unverifiable()
                .forEach((reason, n) ->
                        out.println(String.format(Locale.ROOT, "not checked: %,d decisions: %s", n, reason)));
        notes(stats, out);
        out.println(timing(report.seconds(), stats.events()));
        return report.ok() ? 0 : EXIT_NOT_REPRODUCED;
    }

    private void whatIf(
            HistoryReader reader,
            DecisionReplay replay,
            List<Rule> proposed,
            Map<String, Rule> live,
            Instant start,
            Instant end,
            PrintWriter out,
            PrintWriter err)
            throws Exception {
        WhatIfRun.Report report =
                WhatIfRun.run(reader, replay, proposed, start, end, source, Progress.forConsole(err, "events"));
        WhatIf whatIf = report.whatIf();
        RuleDiff diff = RuleDiff.between(live, proposed);
        Map<String, String> status = new TreeMap<>();
        diff.added().forEach(r -> status.put(r.getId(), "new"));
        diff.changed().forEach(c -> status.put(c.next().getId(), "changed"));
        diff.removed().forEach(r -> status.put(r.getId(), "removed"));
        out.println(String.format(
                Locale.ROOT,
                "%,d events evaluated; live rules: %d added, %d changed, %d removed in %s",
                whatIf.events(),
                diff.added().size(),
                diff.changed().size(),
                diff.removed().size(),
                rules));
        if (whatIf.changes().isEmpty()) {
            out.println("no rule would behave differently on these events");
        }
        whatIf.changes().forEach((id, change) -> {
            out.println("rule " + id
                    + (status.containsKey(id) ? " (" + status.get(id) + ")" : " (unchanged, behaves differently)"));
            line(out, "would newly fire", change.newlyFire());
            line(out, "would stop firing", change.stopFiring());
            line(out, "different actions", change.differentActions());
        });
        List<String> quiet = new ArrayList<>();
        status.forEach((id, s) -> {
            if (!whatIf.changes().containsKey(id)) {
                quiet.add(id + " (" + s + ")");
            }
        });
        if (!quiet.isEmpty()) {
            out.println("no effect on these events: " + String.join(", ", quiet));
        }
        if (whatIf.unrecordedReads() > 0) {
            out.println(String.format(
                    Locale.ROOT,
                    "note: for %,d events the proposed rules read registers their decisions did not "
                            + "record; those read as unset",
                    whatIf.unrecordedReads()));
        }
        if (whatIf.actionsNotCompared() > 0) {
            out.println(String.format(
                    Locale.ROOT,
                    "note: %,d matches kept firing but their recorded actions could not be rebuilt "
                            + "(rule version not in the history); actions not compared",
                    whatIf.actionsNotCompared()));
        }
        if (proposed.stream().anyMatch(r -> r.getFlow() != null)) {
            out.println(
                    "note: flows are not simulated by what-if (a proposed flow's path depends on results of actions that were never"
                            + " taken); try one with 'reflex flows test' and canned results. The audit ('reflex replay' without --rules) checks"
                            + " recorded flow transitions.");
        }
        if (whatIf.correlates()) {
            out.println(String.format(
                    Locale.ROOT,
                    "note: correlation rules were simulated over these events (%,d steps), starting "
                            + "empty at --from, with the events' times as the clock and registers unset; a firing is counted for the event "
                            + "that caused it (for a deadline, the event that armed it). Counts, windows and deadlines begun before --from "
                            + "are not carried in, so firings near the start may differ from what was recorded.",
                    whatIf.correlationSteps()));
        }
        notes(report.pairs(), out);
        out.println(timing(report.seconds(), whatIf.events()));
    }

    /** The time taken, with the rate once there are enough events for it to mean something. */
    static String timing(double seconds, long events) {
        return events < 10_000
                ? String.format(Locale.ROOT, "%.1f s", seconds)
                : String.format(Locale.ROOT, "%.1f s, %,.0f events/s", seconds, events / Math.max(seconds, 1e-3));
    }

    private static void line(PrintWriter out, String what, WhatIf.Kind kind) {
        if (kind.count() > 0) {
            out.println(String.format(
                    Locale.ROOT, "  %-18s %,8d   e.g. %s", what, kind.count(), String.join(", ", kind.examples())));
        }
    }

    private static void notes(PairStats stats, PrintWriter out) {
        if (stats.withoutDecision() > 0) {
            out.println(String.format(
                    Locale.ROOT,
                    "not checked: %,d events without a decision (not decided yet, reflex.decisions.unmatched=none, "
                            + "or the decision is outside the range)",
                    stats.withoutDecision()));
        }
        if (stats.duplicates() > 0) {
            out.println(String.format(
                    Locale.ROOT,
                    "not checked: %,d repeated event ids (duplicates the engine dropped)",
                    stats.duplicates()));
        }
        if (stats.decisionsWithoutEvent() > 0) {
            out.println(String.format(
                    Locale.ROOT,
                    "not checked: %,d decisions whose event is outside the range or aged out",
                    stats.decisionsWithoutEvent()));
        }
        if (stats.unreadable() > 0) {
            out.println(String.format(
                    Locale.ROOT,
                    "not checked: %,d unreadable records on %s or %s (listed in the log)",
                    stats.unreadable(),
                    "the events topic",
                    "the decisions topic"));
        }
    }
}
