package dev.reflex.engine;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.io.JsonEncoder;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;

import dev.reflex.schemas.Decision;
import dev.reflex.schemas.FlowInstance;

/**
 * Asks an engine's API, for commands that can also read the topics. {@code token} is the API's bearer token
 * ({@code reflex.api.token}), null when it has none; an engine that refuses the token is an {@link Unauthorized}.
 */
public final class EngineApiClient {
    /** The engine answered 401: its API needs a token, or another one. */
    public static final class Unauthorized extends RuntimeException {
        Unauthorized(String url) {
            super("the engine API at " + url
                    + " refused the request: it needs its token (reflex.api.token); pass --engine-token "
                    + "or set REFLEX_API_TOKEN");
        }
    }

    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final Duration ASK_TIMEOUT = Duration.ofSeconds(3);

    private EngineApiClient() {}

    /** The engine's recent decision for {@code eventId}; empty when the API is off, unreachable, or does not keep it. */
    public static Optional<Decision> decision(String baseUrl, String token, String eventId) {
        if (baseUrl == null || baseUrl.isBlank() || baseUrl.equals("none")) {
            return Optional.empty();
        }
        try {
            HttpResponse<String> answer = get(baseUrl, token, "/api/decisions/" + encode(eventId));
            return answer.statusCode() == 200 ? Optional.of(fromJson(answer.body())) : Optional.empty();
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** Percent-encodes all but unreserved characters and '/', which the API's paths take as they are. */
    public static String encode(String text) {
        StringBuilder out = new StringBuilder();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if (c < 128 && (Character.isLetterOrDigit(c) || "-._~/:@".indexOf(c) >= 0)) {
                out.append(c);
            } else {
                out.append('%').append(String.format("%02X", b & 0xff));
            }
        }
        return out.toString();
    }

    /** An Avro record in Avro's JSON encoding, which {@link #fromJson} reads back exactly. */
    public static <T extends SpecificRecord> String toJson(T record) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        JsonEncoder encoder = EncoderFactory.get().jsonEncoder(record.getSchema(), bytes);
        new SpecificDatumWriter<T>(record.getSchema()).write(record, encoder);
        encoder.flush();
        return bytes.toString(StandardCharsets.UTF_8);
    }

    public static Decision fromJson(String json) throws IOException {
        return new SpecificDatumReader<>(Decision.class)
                .read(null, DecoderFactory.get().jsonDecoder(Decision.getClassSchema(), json));
    }

    /**
     * The current state of flow {@code flowId}'s instance for {@code key}, as the engine that owns it holds it; empty when
     * there is none (or it finished over a day ago), or the API is off or unreachable.
     */
    public static Optional<FlowInstance> flow(String baseUrl, String token, String flowId, String key) {
        if (baseUrl == null || baseUrl.isBlank() || baseUrl.equals("none")) {
            return Optional.empty();
        }
        try {
            HttpResponse<String> answer = get(baseUrl, token, "/api/flows/" + encode(flowId) + "/" + encode(key));
            return answer.statusCode() == 200
                    ? Optional.of(new SpecificDatumReader<>(FlowInstance.class)
                            .read(null, DecoderFactory.get().jsonDecoder(FlowInstance.getClassSchema(), answer.body())))
                    : Optional.empty();
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private static HttpResponse<String> get(String baseUrl, String token, String path)
            throws IOException, InterruptedException {
        String url = baseUrl.replaceAll("/+$", "");
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url + path))
                .timeout(ASK_TIMEOUT)
                .GET();
        if (token != null && !token.isEmpty()) {
            request.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> answer = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (answer.statusCode() == 401) {
            throw new Unauthorized(url);
        }
        return answer;
    }
}
