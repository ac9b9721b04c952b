package dev.reflex.connectors.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import dev.reflex.embedded.testing.TestServices;

/**
 * Clients that send their body a byte at a time (more of them than the connector has threads) are cut off, and a valid
 * request is served meanwhile. The full-size run (2,000 clients) is bench/run-faults hostile-http.
 */
class SlowClientsTest {
    @Test
    void tricklingClientsAreDisconnectedAndAValidRequestIsServedMeanwhile() throws Exception {
        Map<String, Object> s = new HashMap<>();
        s.put(WebhookConfig.BOOTSTRAP_SERVERS_CONFIG, TestServices.kafka().bootstrapServers());
        s.put(
                WebhookConfig.TOPIC_PREFIX_CONFIG,
                "slow" + UUID.randomUUID().toString().substring(0, 8) + ".");
        s.put(WebhookConfig.HTTP_PORT_CONFIG, 0);
        s.put(WebhookConfig.READ_TIMEOUT_MS_CONFIG, 3_000L);
        List<Socket> slow = new ArrayList<>();
        try (WebhookConnector webhook = WebhookConnector.start(new WebhookConfig(s))) {
            for (int i = 0; i < 300; i++) {
                Socket socket = new Socket("127.0.0.1", webhook.port());
                socket.setSoTimeout(20_000);
                socket.getOutputStream()
                        .write(("POST /events/slow HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                        + "Content-Length: 1000\r\n\r\n{")
                                .getBytes(StandardCharsets.US_ASCII));
                slow.add(socket);
            }
            // one more byte from each, a second later: far below any rate a real sender has
            Thread.sleep(1_000);
            for (Socket socket : slow) {
                try {
                    socket.getOutputStream().write(' ');
                } catch (IOException e) {
                    // already disconnected
                }
            }
            HttpResponse<String> valid = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + webhook.port() + "/events/fast"))
                                    .timeout(Duration.ofSeconds(30))
                                    .header("Content-Type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"t\"}"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(valid.statusCode()).isEqualTo(202);
            int closed = 0;
            for (Socket socket : slow) {
                if (closedByServer(socket)) {
                    closed++;
                }
            }
            assertThat(closed).as("slow clients disconnected").isEqualTo(slow.size());
        } finally {
            for (Socket socket : slow) {
                socket.close();
            }
        }
    }

    /** Reads what the server sends until it closes; false if it keeps the connection open past the socket timeout. */
    private static boolean closedByServer(Socket socket) {
        try (InputStream in = socket.getInputStream();
                OutputStream ignored = socket.getOutputStream()) {
            while (in.read() >= 0) {
                // the 408 answer, if it got one, then the end
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }
}
