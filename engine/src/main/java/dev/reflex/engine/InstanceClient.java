package dev.reflex.engine;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks another engine instance's API, with {@code local=true} so the request goes no further, and the API token when
 * there is one. An instance that does not answer within a few seconds is logged and answers null.
 */
final class InstanceClient {
    private static final Logger LOG = LoggerFactory.getLogger(InstanceClient.class);
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final Duration ASK_TIMEOUT = Duration.ofSeconds(3);

    private final String token;

    InstanceClient(String token) {
        this.token = token;
    }

    HttpResponse<String> ask(HostInfo host, String path) throws InterruptedException {
        String sep = path.contains("?") ? "&" : "?";
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(
                            URI.create("http://" + host.host() + ":" + host.port() + path + sep + "local=true"))
                    .timeout(ASK_TIMEOUT)
                    .GET();
            if (token != null) {
                request.header("Authorization", "Bearer " + token);
            }
            return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            LOG.warn("engine instance {}:{} did not answer: {}", host.host(), host.port(), e.getMessage());
            return null;
        }
    }
}
