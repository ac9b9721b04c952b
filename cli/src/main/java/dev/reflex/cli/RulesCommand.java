package dev.reflex.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

import org.apache.kafka.clients.admin.Admin;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import dev.reflex.audit.publish.RulePublisher;
import dev.reflex.audit.publish.RulesTopic;
import dev.reflex.rules.files.RuleDiff;
import dev.reflex.rules.files.RuleFiles;
import dev.reflex.rules.files.SystemDiff;
import dev.reflex.schemas.Rule;

@Command(
        name = "rules",
        mixinStandardHelpOptions = true,
        description =
                "Rules as code: check a directory of rule files, compare it with the live rules, apply it, test it offline.",
        subcommands = {
            RulesCommand.Validate.class,
            RulesCommand.Diff.class,
            RulesCommand.Apply.class,
            RulesCommand.ListRules.class,
            RulesTestCommand.class
        })
final class RulesCommand {

    /** Exit code when rules have problems (validate) or differ (diff --exit-code). */
    static final int EXIT_PROBLEMS = 1;

    @Command(
            name = "validate",
            mixinStandardHelpOptions = true,
            description = "Check every rule file under DIR; print each problem as file:line: reason. Needs no cluster.")
    static final class Validate implements Callable<Integer> {
        @Parameters(paramLabel = "DIR", description = "Directory (or file) of rule YAML files.")
        Path dir;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            if (!Files.exists(dir)) {
                throw new Settings.SettingsException("rules directory not found: " + dir);
            }
            RuleFiles.Loaded loaded = RuleFiles.load(dir);
            loaded.problems().forEach(p -> spec.commandLine().getErr().println(p));
            if (!loaded.ok()) {
                spec.commandLine().getErr().println(loaded.problems().size() + " problem(s); fix them before applying");
                return EXIT_PROBLEMS;
            }
            out.println(loaded.rules().size() + " rules valid");
            return 0;
        }
    }

    @Command(
            name = "diff",
            mixinStandardHelpOptions = true,
            description = {
                "Show what 'apply' would change on the rules topic: + added, ~ changed (old -> new version), - removed."
            })
    static final class Diff implements Callable<Integer> {
        @Parameters(paramLabel = "DIR", description = "Directory of rule YAML files.")
        Path dir;

        @Option(names = "--exit-code", description = "Exit with 1 when there are differences (for CI).")
        boolean exitCode;

        @Mixin
        ConnectionOptions connection;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            RuleDiff diff = applyAndPrint(dir, connection, spec, true);
            spec.commandLine().getOut().println(diff.isEmpty() ? "no changes" : summary(diff));
            return exitCode && !diff.isEmpty() ? EXIT_PROBLEMS : 0;
        }
    }

    @Command(
            name = "apply",
            mixinStandardHelpOptions = true,
            description = {
                "Make the rules topic hold exactly the rules under DIR: publish added and changed rules, tombstone removed",
                "ones, in one transaction. Refuses the whole apply if any rule has a problem. Running engines pick the change up",
                "within a second. Applying the same directory again changes nothing."
            })
    static final class Apply implements Callable<Integer> {
        @Parameters(paramLabel = "DIR", description = "Directory of rule YAML files.")
        Path dir;

        @Mixin
        ConnectionOptions connection;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            RuleDiff diff = applyAndPrint(dir, connection, spec, false);
            spec.commandLine()
                    .getOut()
                    .println(
                            diff.isEmpty()
                                    ? "no changes; " + diff.unchanged().size() + " rules already live"
                                    : "applied: " + summary(diff));
            return 0;
        }
    }

    @Command(
            name = "list",
            mixinStandardHelpOptions = true,
            description = "List the live rules and flows with their versions.")
    static final class ListRules implements Callable<Integer> {
        @Mixin
        ConnectionOptions connection;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            try (Admin admin = connection.admin()) {
                Map<String, Rule> live =
                        new RulesTopic(connection.kafka(), connection.names(), connection.serdes()).read();
                PrintWriter out = spec.commandLine().getOut();
                out.printf("%-40s %-12s %-8s %-40s %s%n", "ID", "VERSION", "ENABLED", "WHEN", "ORIGIN");
                for (Rule rule : live.values()) {
                    out.printf(
                            "%-40s %-12s %-8s %-40s %s%n",
                            rule.getId(),
                            rule.getVersion(),
                            rule.getEnabled(),
                            (rule.getFlow() != null
                                            ? "flow, starts on "
                                            : rule.getCorrelate() != null ? "correlates " : "")
                                    + when(rule),
                            rule.getOrigin() == null ? "" : rule.getOrigin());
                }
                long flows =
                        live.values().stream().filter(r -> r.getFlow() != null).count();
                out.println((live.size() - flows) + " rules" + (flows == 0 ? "" : ", " + flows + " flows"));
                return 0;
            }
        }
    }

    /** Applies (or, with {@code dryRun}, only compares) and prints one line per change. */
    static RuleDiff applyAndPrint(Path dir, ConnectionOptions connection, CommandSpec spec, boolean dryRun)
            throws Exception {
        try (Admin admin = connection.admin()) {
            RuleDiff diff = RulePublisher.apply(
                    dir, connection.kafka(), admin, connection.names(), connection.serdes(), dryRun);
            diff.lines().forEach(spec.commandLine().getOut()::println);
            return diff;
        }
    }

    static String when(Rule rule) {
        return "source "
                + (rule.getWhen().getSource() == null ? "any" : rule.getWhen().getSource()) + ", type "
                + (rule.getWhen().getType() == null ? "any" : rule.getWhen().getType());
    }

    static String summary(RuleDiff diff) {
        SystemDiff systems = diff.systems();
        return diff.added().size() + " added, " + diff.changed().size() + " changed, "
                + diff.removed().size() + " removed"
                + (systems.isEmpty()
                        ? ""
                        : "; systems: " + systems.added().size() + " added, "
                                + systems.changed().size() + " changed, "
                                + systems.removed().size() + " removed");
    }
}
