package dev.reflex.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import dev.reflex.engine.EngineConfig;
import dev.reflex.engine.EngineProcess;

@Command(
        name = "engine",
        mixinStandardHelpOptions = true,
        description = {
            "Run the Reflex engine against a Kafka cluster and schema registry.",
            "Settings come from --config FILE, then REFLEX_* environment variables, then flags; see docs/configuration.md.",
            "Start more instances with the same application.id to share the work."
        })
final class EngineCommand implements Callable<Integer> {
    @Option(
            names = "--bootstrap-servers",
            paramLabel = "HOST:PORT[,...]",
            description = "Kafka brokers (bootstrap.servers).")
    String bootstrapServers;

    @Option(
            names = "--schema-registry-url",
            paramLabel = "URL",
            description = "Confluent-compatible schema registry (schema.registry.url).")
    String schemaRegistryUrl;

    @Option(
            names = "--application-id",
            paramLabel = "ID",
            description = "Consumer group of the engine (application.id).")
    String applicationId;

    @Option(names = "--config", paramLabel = "FILE", description = "A properties file with engine settings.")
    Path config;

    @Option(
            names = "--set",
            paramLabel = "KEY=VALUE",
            description = "Any engine, Kafka Streams or client setting; repeatable.")
    List<String> sets = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        Map<String, String> flags = new HashMap<>(Settings.pairs(sets));
        if (bootstrapServers != null) {
            flags.put(EngineConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        }
        if (schemaRegistryUrl != null) {
            flags.put(EngineConfig.SCHEMA_REGISTRY_URL_CONFIG, schemaRegistryUrl);
        }
        if (applicationId != null) {
            flags.put(EngineConfig.APPLICATION_ID_CONFIG, applicationId);
        }
        Map<String, Object> settings =
                new HashMap<>(Settings.resolve(EngineConfig.CONFIG, config, System.getenv(), flags));
        EngineProcess.logUncaughtFailures();
        EngineProcess engine = EngineProcess.start(settings);
        Runtime.getRuntime().addShutdownHook(new Thread(engine::close, "engine-stop"));
        int exit = engine.awaitExit();
        if (exit == EngineProcess.EXIT_STREAMS_ERROR) {
            System.err.println(engine.engine()
                    .stall()
                    .map(stall -> "reflex engine: " + stall + "; exiting so that the engine is restarted")
                    .orElse(
                            "reflex engine: Kafka Streams reached ERROR and stopped processing (the cause is in the log "
                                    + "above); exiting so that the engine is restarted"));
        }
        return exit;
    }
}
