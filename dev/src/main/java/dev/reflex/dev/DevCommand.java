package dev.reflex.dev;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import org.apache.kafka.streams.KafkaStreams;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import dev.reflex.cli.CommandPlugin;

@Command(
        name = "dev",
        mixinStandardHelpOptions = true,
        description = {
            "Run everything on this machine: a Kafka broker, a schema registry, the engine, a webhook connector",
            "and a log actor, with the example rules loaded. Data stays under --data-dir between runs. Ctrl-C stops it all."
        })
final class DevCommand implements Callable<Integer> {
    /** Adds {@code reflex dev} to the command line when this artifact is on the class path. */
    public static final class Plugin implements CommandPlugin {
        @Override
        public Object command() {
            return new DevCommand();
        }
    }

    @Option(
            names = "--data-dir",
            paramLabel = "DIR",
            defaultValue = ".reflex",
            description = "Where the broker and registry keep data (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(
            names = "--kafka-port",
            paramLabel = "PORT",
            defaultValue = "9092",
            description = "Kafka client port (default: ${DEFAULT-VALUE}).")
    int kafkaPort;

    @Option(
            names = "--kafka-controller-port",
            paramLabel = "PORT",
            defaultValue = "9093",
            description = "Kafka controller port (default: ${DEFAULT-VALUE}).")
    int controllerPort;

    @Option(
            names = "--registry-port",
            paramLabel = "PORT",
            defaultValue = "8081",
            description = "Schema registry port (default: ${DEFAULT-VALUE}).")
    int registryPort;

    @Option(
            names = "--http-port",
            paramLabel = "PORT",
            defaultValue = "8080",
            description = "Webhook connector port (default: ${DEFAULT-VALUE}).")
    int httpPort;

    @Option(
            names = "--rules",
            paramLabel = "DIR",
            description = "Rules to load (default: examples/rules of this checkout).")
    Path rulesDir;

    @Option(
            names = "--fresh",
            description = "Delete the data directory first: no topics, rules, registers or schemas from earlier runs.")
    boolean fresh;

    @Override
    public Integer call() throws Exception {
        if (fresh) {
            DevEnvironment.deleteTree(dataDir);
        }
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        DevEnvironment.Options options = new DevEnvironment.Options(
                dataDir,
                kafkaPort,
                controllerPort,
                registryPort,
                httpPort,
                rulesDir != null ? rulesDir : DevEnvironment.defaultRulesDir());
        DevEnvironment dev = DevEnvironment.start(options, out);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            out.println();
                            out.println("Stopping...");
                            dev.close();
                            out.println("Stopped.");
                            stopped.countDown();
                        },
                        "reflex-dev-stop"));
        Thread watch = new Thread(
                () -> {
                    try {
                        dev.engine().awaitStopped();
                    } catch (InterruptedException e) {
                        return;
                    }
                    if (dev.engine().state() == KafkaStreams.State.ERROR
                            || dev.engine().stall().isPresent()) {
                        out.println();
                        out.println("The engine stopped: "
                                + dev.engine()
                                        .stall()
                                        .orElse("Kafka Streams reached ERROR (the cause is in the log above)")
                                + ". Stopping reflex dev; start it again to go on.");
                        System.exit(1);
                    }
                },
                "reflex-dev-engine-watch");
        watch.setDaemon(true);
        watch.start();
        stopped.await();
        return 0;
    }
}
