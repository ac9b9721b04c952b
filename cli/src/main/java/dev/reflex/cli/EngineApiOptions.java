package dev.reflex.cli;

import picocli.CommandLine.Option;

/** Where a command asks the engine's read-only API, and the API's token. */
final class EngineApiOptions {
    @Option(
            names = "--engine-url",
            paramLabel = "URL",
            defaultValue = "${env:REFLEX_ENGINE_URL:-http://127.0.0.1:8095}",
            description =
                    "The engine's read-only API, asked first when reachable (default: ${DEFAULT-VALUE}; also REFLEX_ENGINE_URL); "
                            + "'none' reads the topics only.")
    String url;

    @Option(
            names = "--engine-token",
            paramLabel = "TOKEN",
            defaultValue = "${env:REFLEX_API_TOKEN}",
            description =
                    "The engine API's bearer token (reflex.api.token), when it has one (default: REFLEX_API_TOKEN).")
    String token;
}
