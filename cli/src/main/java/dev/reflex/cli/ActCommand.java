package dev.reflex.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import org.apache.kafka.clients.admin.Admin;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import dev.reflex.actors.ActorOptions;
import dev.reflex.actors.ActorRunner;
import dev.reflex.actors.ActorSettings;
import dev.reflex.actors.Executor;
import dev.reflex.actors.http.HttpActorConfig;
import dev.reflex.actors.http.HttpExecutor;
import dev.reflex.actors.log.LogExecutor;
import dev.reflex.actors.shell.ShellActorConfig;
import dev.reflex.actors.shell.ShellExecutor;
import dev.reflex.admin.AdminServer;
import dev.reflex.schemas.TopicNames;

@Command(
        name = "act",
        mixinStandardHelpOptions = true,
        description = {
            "Run an actor: consume reflex.actions.<system>, do the work, report results to reflex.action-results.",
            "KIND is http (params url, method, body, header.<Name>, credential; credentials configured as credential.<name>.*)",
            "or shell (param command names an allow-listed shell.command.<name>; other params arrive as REFLEX_PARAM_<NAME>),",
            "or log (prints each action and reports it done).",
            "Start more with the same --system to share the work.",
            "--set consumer.NAME=VALUE passes a Kafka consumer setting to the action consumer (e.g. consumer.session.timeout.ms=10000).",
            "--set actor.concurrency=N: actions run at once per system (default: http 32, shell 4, log 1); one target's one at a time.",
            "--set actor.breaker.failures=N (5), actor.breaker.cooldown.ms (30000), actor.breaker.held.max.ms (0: held actions wait):",
            "a target's circuit breaker; see docs/configuration.md."
        })
final class ActCommand implements Callable<Integer> {
    @Parameters(paramLabel = "KIND", description = "The kind of actor: http, shell or log.")
    String kind;

    @Option(
            names = "--system",
            required = true,
            split = ",",
            paramLabel = "NAME",
            description =
                    "The system whose actions to do; several as a,b,c (or repeated), each with its own consumer group.")
    List<String> systems;

    @Option(names = "--group-id", paramLabel = "ID", description = "Consumer group (default: reflex-actor-<system>).")
    String groupId;

    @Mixin
    ProcessOptions process;

    @Mixin
    ConnectionOptions connection;

    @Override
    public Integer call() throws Exception {
        for (String system : systems) {
            if (!TopicNames.isValidPart(system)) {
                throw new Settings.SettingsException("invalid system name '" + system + "'");
            }
        }
        if (groupId != null && systems.size() > 1) {
            throw new Settings.SettingsException(
                    "--group-id is for one --system; with several, each uses reflex-actor-<system>");
        }
        Executor executor = switch (kind) {
            case "http" ->
                new HttpExecutor(new HttpActorConfig(
                        Settings.resolve(
                                HttpActorConfig.CONFIG, process.config, System.getenv(), Settings.pairs(process.sets)),
                        System.getenv()));
            case "shell" ->
                new ShellExecutor(Settings.resolve(
                        ShellActorConfig.CONFIG, process.config, System.getenv(), Settings.pairs(process.sets)));
            case "log" -> new LogExecutor(System.out);
            default ->
                throw new Settings.SettingsException("unknown actor kind '" + kind + "'; available: http, shell, log");
        };
        ActorOptions options = ActorSettings.options(
                Settings.resolve(ActorSettings.CONFIG, process.config, System.getenv(), Settings.pairs(process.sets)),
                executor);
        try (Admin admin = ConnectionOptions.admin(connection.kafka(process))) {
            // fails here, in one line, when Kafka is unreachable
        }
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        List<ActorRunner> runners = new ArrayList<>();
        for (String system : systems) {
            runners.add(new ActorRunner(
                            connection.kafka(process),
                            connection.names(),
                            connection.serdes(),
                            system,
                            groupId != null ? groupId : "reflex-actor-" + system,
                            executor,
                            metrics,
                            ActorSettings.consumer(Settings.pairs(process.sets)),
                            options)
                    .start());
        }
        AdminServer admin = AdminServer.start(
                process.adminHost,
                process.adminPort,
                "--admin-port",
                metrics,
                () -> runners.stream().allMatch(ActorRunner::isRunning));
        System.out.println(kind + " actor for " + String.join(", ", systems) + " running (" + options.concurrency()
                + " actions at once each); health and metrics on http://"
                + process.adminHost + ":" + admin.port());
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            runners.forEach(ActorRunner::close);
                            admin.close();
                        },
                        "actor-stop"));
        // the process ends when any of its actors stops: closed on shutdown, or failed and to be restarted
        CountDownLatch anyStopped = new CountDownLatch(1);
        for (ActorRunner runner : runners) {
            Thread watch = new Thread(
                    () -> {
                        try {
                            runner.awaitStopped();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        anyStopped.countDown();
                    },
                    "actor-watch");
            watch.setDaemon(true);
            watch.start();
        }
        anyStopped.await();
        Optional<String> failure = runners.stream()
                .map(ActorRunner::failure)
                .flatMap(Optional::stream)
                .findFirst();
        if (failure.isPresent()) {
            System.err.println("reflex act: an actor stopped (" + failure.get() + "); exiting so that it is restarted");
            runners.forEach(ActorRunner::close);
            admin.close();
            return 1;
        }
        return 0;
    }
}
