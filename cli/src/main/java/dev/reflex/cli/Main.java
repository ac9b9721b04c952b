package dev.reflex.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.ServiceLoader;

import org.apache.kafka.common.config.ConfigException;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code reflex} command. Every error a user can cause ends in one line on standard error and a non-zero exit. */
@Command(
        name = "reflex",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Event-driven automation on Kafka: when this happens in system A, do that in system B.",
        subcommands = {
            EngineCommand.class,
            PublishCommand.class,
            RulesCommand.class,
            ConnectCommand.class,
            ActCommand.class,
            ReplayCommand.class,
            ExplainCommand.class,
            FlowsCommand.class,
            SystemsCommand.class,
            AclsCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Main {
    public static final int EXIT_ERROR = 1;
    public static final int EXIT_USAGE = 2;

    public static void main(String[] args) {
        System.exit(run(System.out, System.err, args));
    }

    public static int run(PrintStream out, PrintStream err, String... args) {
        CommandLine commandLine = new CommandLine(new Main());
        for (CommandPlugin plugin : ServiceLoader.load(CommandPlugin.class)) {
            commandLine.addSubcommand(plugin.command());
        }
        commandLine.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        commandLine.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        commandLine.setParameterExceptionHandler((e, arguments) -> {
            err.println("error: " + e.getMessage() + " (see '"
                    + e.getCommandLine().getCommandSpec().qualifiedName() + " --help')");
            return EXIT_USAGE;
        });
        commandLine.setExecutionExceptionHandler((e, command, parsed) -> {
            err.println("error: " + describe(e));
            return EXIT_ERROR;
        });
        return commandLine.execute(args);
    }

    /** The one line a user sees for an error. */
    static String describe(Throwable e) {
        if (e instanceof ConfigException) {
            return "invalid setting: " + e.getMessage();
        }
        String message = e.getMessage();
        if (message == null || message.isBlank()) {
            return e.getClass().getSimpleName() + (e.getCause() == null ? "" : ": " + describe(e.getCause()));
        }
        return message;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws Exception {
            Properties props = new Properties();
            try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    props.load(in);
                }
            }
            return new String[] {"reflex " + props.getProperty("version", "unknown")};
        }
    }
}
