package dev.reflex.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import dev.reflex.audit.publish.RulePublisher;
import dev.reflex.audit.publish.RulesTopic;
import dev.reflex.rules.systems.SystemCatalog;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.SystemDef;
import dev.reflex.schemas.SystemMatch;

@Command(
        name = "systems",
        mixinStandardHelpOptions = true,
        description = {
            "The systems catalog (the rules directory's systems/ files): systems, the subsystems they aggregate, and",
            "which events belong to each. It is applied with the rules (reflex rules apply)."
        },
        subcommands = {SystemsCommand.ListSystems.class, SystemsCommand.Of.class})
final class SystemsCommand {
    @Command(
            name = "list",
            mixinStandardHelpOptions = true,
            description =
                    "Print the live catalog as a tree: each system with its version, what belongs to it, and its subsystems.")
    static final class ListSystems implements Callable<Integer> {
        @Mixin
        ConnectionOptions connection;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            try (Admin admin = connection.admin()) {
                SystemCatalog catalog =
                        SystemCatalog.of(new RulesTopic(connection.kafka(), connection.names(), connection.serdes())
                                .readSystems()
                                .values());
                PrintWriter out = spec.commandLine().getOut();
                for (String root : catalog.roots()) {
                    print(catalog, root, "", "", out);
                }
                out.println(catalog.systems().size() + " systems");
                return 0;
            }
        }

        private static void print(SystemCatalog catalog, String name, String first, String rest, PrintWriter out) {
            SystemDef system = catalog.systems().get(name);
            out.println(first + name + " " + system.getVersion()
                    + (system.getMatch().isEmpty()
                            ? ""
                            : "  "
                                    + system.getMatch().stream()
                                            .map(SystemsCommand::describe)
                                            .collect(Collectors.joining(" or "))));
            List<String> children = system.getIncludes();
            for (int i = 0; i < children.size(); i++) {
                boolean last = i == children.size() - 1;
                print(catalog, children.get(i), rest + (last ? "└─ " : "├─ "), rest + (last ? "   " : "│  "), out);
            }
        }
    }

    @Command(
            name = "of",
            mixinStandardHelpOptions = true,
            description = {
                "Tell which systems events belong to, by the catalog under DIR (no cluster needed): the systems they",
                "match and every system that includes one of those."
            })
    static final class Of implements Callable<Integer> {
        @Parameters(paramLabel = "DIR", description = "The rules directory (its systems/ files).")
        Path dir;

        @Option(
                names = "--event",
                paramLabel = "FILE",
                description = "One event: a JSON object, or a CloudEvent in structured mode.")
        List<Path> events = new ArrayList<>();

        @Option(
                names = "--source",
                paramLabel = "NAME",
                defaultValue = "test",
                description =
                        "The source of plain JSON events, as their ingest topic would give it (default: ${DEFAULT-VALUE}).")
        String source;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            if (events.isEmpty()) {
                throw new Settings.SettingsException("give at least one --event FILE");
            }
            SystemCatalog catalog = RulePublisher.loadAll(dir).catalog();
            EventFiles files = new EventFiles(null, List.of(), source);
            PrintWriter out = spec.commandLine().getOut();
            for (Path file : events) {
                Event event = files.read(file);
                SortedSet<String> systems =
                        catalog.systemsOf(event.getSource(), event.getType(), event.getSubject(), event.getLabels());
                out.println(file + " (" + event.getSource() + " " + event.getType()
                        + (event.getSubject() == null ? "" : " " + event.getSubject()) + "): "
                        + (systems.isEmpty() ? "no system" : String.join(", ", systems)));
            }
            return 0;
        }
    }

    static String describe(SystemMatch match) {
        List<String> parts = new ArrayList<>();
        if (match.getSource() != null) {
            parts.add("source " + match.getSource());
        }
        if (match.getType() != null) {
            parts.add("type " + match.getType());
        }
        if (match.getSubject() != null) {
            parts.add("subject " + match.getSubject());
        }
        for (Map.Entry<String, String> label : match.getLabels().entrySet()) {
            parts.add(label.getKey() + "=" + label.getValue());
        }
        return "[" + String.join(", ", parts) + "]";
    }
}
