package dev.reflex.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import org.apache.kafka.clients.admin.Admin;

import dev.reflex.actors.ActorRunner;
import dev.reflex.actors.HttpActorConfig;
import dev.reflex.actors.HttpExecutor;
import dev.reflex.schemas.TopicNames;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "act", mixinStandardHelpOptions = true,
    description = {"Run an actor: consume reflex.actions.<system>, do the work, report results to reflex.action-results.",
        "KIND is http: params url, method, body, header.<Name> and credential (configured with credential.<name>.* settings).",
        "Start more with the same --system to share the work."})
final class ActCommand implements Callable<Integer> {
    @Parameters(paramLabel = "KIND", description = "The kind of actor: http.")
    String kind;

    @Option(names = "--system", required = true, paramLabel = "NAME", description = "The system whose actions to do.")
    String system;

    @Option(names = "--group-id", paramLabel = "ID", description = "Consumer group (default: reflex-actor-<system>).")
    String groupId;

    @Option(names = "--config", paramLabel = "FILE", description = "A properties file with actor settings and credentials.")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "An actor setting; repeatable.")
    List<String> sets = new ArrayList<>();

    @Mixin
    ConnectionOptions connection;

    @Override
    public Integer call() throws Exception {
        if (!kind.equals("http")) {
            throw new Settings.SettingsException("unknown actor kind '" + kind + "'; available: http");
        }
        if (!TopicNames.isValidPart(system)) {
            throw new Settings.SettingsException("invalid system name '" + system + "'");
        }
        HttpActorConfig settings = new HttpActorConfig(
            Settings.resolve(HttpActorConfig.CONFIG, config, System.getenv(), Settings.pairs(sets)), System.getenv());
        try (Admin admin = connection.admin()) {
            // fails here, in one line, when Kafka is unreachable
        }
        ActorRunner runner = new ActorRunner(connection.bootstrapServers, connection.names(), connection.serdes(), system,
            groupId != null ? groupId : "reflex-actor-" + system, new HttpExecutor(settings)).start();
        Runtime.getRuntime().addShutdownHook(new Thread(runner::close, "actor-stop"));
        runner.awaitStopped();
        return 0;
    }
}
