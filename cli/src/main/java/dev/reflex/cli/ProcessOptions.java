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

    @Option(names = "--admin-port", paramLabel = "PORT", defaultValue = "0",
        description = "Port of GET /health and GET /metrics on 127.0.0.1 (default: any free port, printed at start).")
    int adminPort;
}
