package dev.reflex.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import picocli.CommandLine.Option;

/** What every long-running connector or actor process takes: its settings and where it serves /health and /metrics. */
final class ProcessOptions {
    @Option(names = "--config", paramLabel = "FILE", description = "A properties file with settings.")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "A setting; repeatable.")
    List<String> sets = new ArrayList<>();

    @Option(
            names = "--admin-port",
            paramLabel = "PORT",
            defaultValue = "${env:REFLEX_ADMIN_PORT:-0}",
            description =
                    "Port of GET /health and GET /metrics (default: any free port, printed at start; also REFLEX_ADMIN_PORT).")
    int adminPort;

    @Option(
            names = "--admin-host",
            paramLabel = "HOST",
            defaultValue = "${env:REFLEX_ADMIN_HOST:-127.0.0.1}",
            description =
                    "Address of GET /health and GET /metrics, which show no secrets: 0.0.0.0 in a container, for probes and "
                            + "scrapers (default: ${DEFAULT-VALUE}; also REFLEX_ADMIN_HOST).")
    String adminHost;
}
