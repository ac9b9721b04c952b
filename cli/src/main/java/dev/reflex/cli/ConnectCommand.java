package dev.reflex.cli;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.config.ConfigDef;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import dev.reflex.admin.AdminServer;
import dev.reflex.connectors.timer.Schedule;
import dev.reflex.connectors.timer.TimerConnector;
import dev.reflex.connectors.timer.TimerSettings;
import dev.reflex.connectors.webhook.WebhookConfig;
import dev.reflex.connectors.webhook.WebhookConnector;

@Command(
        name = "connect",
        mixinStandardHelpOptions = true,
        description = {
            "Run a connector that publishes events to reflex.ingest.<source>.",
            "KIND webhook: HTTP endpoints POST /events/{source}, /alertmanager, /github and GET /health (settings: docs/configuration.md).",
            "KIND timer: timer.tick events on the given --schedule NAME=CRON (5-field cron in UTC, or @every 30s|5m|1h)."
        })
final class ConnectCommand implements Callable<Integer> {
    @Parameters(paramLabel = "KIND", description = "webhook or timer.")
    String kind;

    @Option(
            names = "--http-host",
            paramLabel = "ADDRESS",
            description = "webhook: address to listen on (default 127.0.0.1).")
    String httpHost;

    @Option(names = "--http-port", paramLabel = "PORT", description = "webhook: port to listen on (default 8080).")
    Integer httpPort;

    @Option(names = "--schedule", paramLabel = "NAME=CRON", description = "timer: a schedule; repeatable.")
    List<String> schedules = new ArrayList<>();

    @Mixin
    ProcessOptions process;

    @Mixin
    ConnectionOptions connection;

    @Override
    public Integer call() throws Exception {
        AutoCloseable running = switch (kind) {
            case "webhook" -> webhook();
            case "timer" -> timer();
            default ->
                throw new Settings.SettingsException(
                        "unknown connector kind '" + kind + "'; available: webhook, timer");
        };
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            try {
                                running.close();
                            } catch (Exception e) {
                                System.err.println("while stopping: " + e.getMessage());
                            }
                            stopped.countDown();
                        },
                        "connector-stop"));
        while (!stopped.await(1, TimeUnit.SECONDS)) {
            if (running instanceof TimerHandle timer && !timer.timer().isRunning()) {
                System.err.println(
                        "reflex connect timer: the timer thread stopped (the cause is in the log above); exiting so that it is restarted");
                running.close();
                return 1;
            }
        }
        return 0;
    }

    /** The running timer and its admin server, closed together. */
    private record TimerHandle(TimerConnector timer, AdminServer admin) implements AutoCloseable {
        @Override
        public void close() {
            timer.close();
            admin.close();
        }
    }

    private WebhookConnector webhook() {
        Map<String, String> flags = new HashMap<>(Settings.pairs(process.sets));
        flags.put(WebhookConfig.BOOTSTRAP_SERVERS_CONFIG, connection.kafka().bootstrapServers());
        flags.put(WebhookConfig.TOPIC_PREFIX_CONFIG, connection.prefix);
        if (httpHost != null) {
            flags.put(WebhookConfig.HTTP_HOST_CONFIG, httpHost);
        }
        if (httpPort != null) {
            flags.put(WebhookConfig.HTTP_PORT_CONFIG, httpPort.toString());
        }
        Map<String, Object> resolved = Settings.resolve(WebhookConfig.CONFIG, process.config, System.getenv(), flags);
        connection.kafka().security().forEach(resolved::putIfAbsent);
        WebhookConfig settings = new WebhookConfig(resolved);
        WebhookConnector connector = WebhookConnector.start(settings);
        System.out.println("webhook connector listening on http://" + settings.getString(WebhookConfig.HTTP_HOST_CONFIG)
                + ":" + connector.port() + " (POST /events/{source}, /alertmanager, /github)");
        return connector;
    }

    private AutoCloseable timer() throws IOException {
        Map<String, Schedule> parsed = new TreeMap<>(TimerSettings.schedules(
                Settings.resolve(new ConfigDef(), process.config, System.getenv(), Settings.pairs(process.sets))));
        for (Map.Entry<String, String> entry : Settings.pairs(schedules).entrySet()) {
            try {
                parsed.put(entry.getKey(), Schedule.parse(entry.getValue()));
            } catch (IllegalArgumentException e) {
                throw new Settings.SettingsException("--schedule " + entry.getKey() + ": " + e.getMessage());
            }
        }
        if (parsed.isEmpty()) {
            throw new Settings.SettingsException(
                    "give at least one --schedule NAME=CRON, e.g. --schedule nightly='0 2 * * *' " + "(or "
                            + TimerSettings.SCHEDULE_PREFIX + "NAME=CRON in --config or --set)");
        }
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        TimerConnector timer =
                new TimerConnector(connection.kafka(process), connection.names(), parsed, metrics).start();
        AdminServer admin =
                AdminServer.start(process.adminHost, process.adminPort, "--admin-port", metrics, timer::isRunning);
        System.out.println("timer running: " + parsed + "; health and metrics on http://" + process.adminHost + ":"
                + admin.port());
        return new TimerHandle(timer, admin);
    }
}
