package dev.reflex.cli;

import java.util.Map;
import java.util.concurrent.Callable;

import org.apache.kafka.clients.admin.Admin;

import dev.reflex.actors.ActorRunner;
import dev.reflex.actors.ActorSettings;
import dev.reflex.admin.AdminServer;
import dev.reflex.actors.Executor;
import dev.reflex.actors.HttpActorConfig;
import dev.reflex.actors.HttpExecutor;
import dev.reflex.actors.LogExecutor;
import dev.reflex.actors.ShellExecutor;
import dev.reflex.schemas.TopicNames;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "act", mixinStandardHelpOptions = true,
    description = {"Run an actor: consume reflex.actions.<system>, do the work, report results to reflex.action-results.",
        "KIND is http (params url, method, body, header.<Name>, credential; credentials configured as credential.<name>.*)",
        "or shell (param command names an allow-listed shell.command.<name>; other params arrive as REFLEX_PARAM_<NAME>),",
        "or log (prints each action and reports it done).",
        "Start more with the same --system to share the work.",
        "--set consumer.NAME=VALUE passes a Kafka consumer setting to the action consumer (e.g. consumer.session.timeout.ms=10000)."})
final class ActCommand implements Callable<Integer> {
    @Parameters(paramLabel = "KIND", description = "The kind of actor: http, shell or log.")
    String kind;

    @Option(names = "--system", required = true, paramLabel = "NAME", description = "The system whose actions to do.")
    String system;

    @Option(names = "--group-id", paramLabel = "ID", description = "Consumer group (default: reflex-actor-<system>).")
    String groupId;

    @Mixin
    ProcessOptions process;

    @Mixin
    ConnectionOptions connection;

    @Override
    public Integer call() throws Exception {
        if (!TopicNames.isValidPart(system)) {
            throw new Settings.SettingsException("invalid system name '" + system + "'");
        }
        Executor executor = switch (kind) {
            case "http" -> new HttpExecutor(new HttpActorConfig(
                Settings.resolve(HttpActorConfig.CONFIG, process.config, System.getenv(), Settings.pairs(process.sets)), System.getenv()));
            case "shell" -> new ShellExecutor(Settings.resolve(ShellExecutor.CONFIG, process.config, System.getenv(), Settings.pairs(process.sets)));
            case "log" -> new LogExecutor(System.out);
            default -> throw new Settings.SettingsException("unknown actor kind '" + kind + "'; available: http, shell, log");
        };
        try (Admin admin = ConnectionOptions.admin(connection.kafka(process))) {
            // fails here, in one line, when Kafka is unreachable
        }
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ActorRunner runner = new ActorRunner(connection.kafka(process), connection.names(), connection.serdes(), system,
            groupId != null ? groupId : "reflex-actor-" + system, executor, metrics, ActorSettings.consumer(Settings.pairs(process.sets))).start();
        AdminServer admin = AdminServer.start("127.0.0.1", process.adminPort, "--admin-port", metrics, runner::isRunning);
        System.out.println(kind + " actor for " + system + " running; health and metrics on http://127.0.0.1:" + admin.port());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            runner.close();
            admin.close();
        }, "actor-stop"));
        runner.awaitStopped();
        if (runner.failure().isPresent()) {
            System.err.println("reflex act: the actor for " + system + " stopped (" + runner.failure().get()
                + "); exiting so that it is restarted");
            admin.close();
            return 1;
        }
        return 0;
    }
}
