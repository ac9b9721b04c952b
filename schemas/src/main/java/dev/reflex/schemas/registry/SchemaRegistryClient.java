package dev.reflex.schemas.registry;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.avro.Schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A client for the Confluent Schema Registry REST protocol, as served by Confluent Schema Registry, Apicurio
 * (ccompat API), Karapace and Redpanda. Ids and schemas are cached: after the first lookup a serde never
 * calls the registry again for the same schema.
 */
public final class SchemaRegistryClient implements SchemaRegistry {
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A schema as registered under a subject. */
    public record RegisteredSchema(String subject, int version, int id, Schema schema) {}

    private final String baseUrl;
    private final HttpClient http;
    private final Duration requestTimeout;
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
    private final Map<String, Map<Schema, Integer>> idsBySubject = new ConcurrentHashMap<>();

    public SchemaRegistryClient(String baseUrl) {
        this(baseUrl, Duration.ofSeconds(10));
    }

    public SchemaRegistryClient(String baseUrl, Duration requestTimeout) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.requestTimeout = requestTimeout;
        this.http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    public String baseUrl() {
        return baseUrl;
    }

    /** Registers {@code schema} under {@code subject} (idempotent) and returns its id. */
    @Override
    public int register(String subject, Schema schema) {
        Integer cached = cachedId(subject, schema);
        if (cached != null) {
            return cached;
        }
        JsonNode answer;
        try {
            answer = send(subject, "POST", "/subjects/" + encode(subject) + "/versions", schemaBody(schema));
        } catch (IncompatibleSchemaException e) {
            // two clients registering the same new schema at once: the registry may refuse the second with 409
            // (Apicurio: "already exists"); the schema is registered then, which a lookup confirms
            return lookup(subject, schema).orElseThrow(() -> e);
        }
        int id = answer.path("id").asInt();
        remember(subject, schema, id);
        return id;
    }

    /** The id of {@code schema} if it is already registered under {@code subject}, without registering it. */
    @Override
    public Optional<Integer> lookup(String subject, Schema schema) {
        Integer cached = cachedId(subject, schema);
        if (cached != null) {
            return Optional.of(cached);
        }
        try {
            JsonNode answer = send(subject, "POST", "/subjects/" + encode(subject), schemaBody(schema));
            int id = answer.path("id").asInt();
            remember(subject, schema, id);
            return Optional.of(id);
        } catch (SchemaRegistryException e) {
            if (e.status() == 404) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** The schema with this id, from any subject. */
    @Override
    public Schema schemaById(int id) {
        Schema cached = schemasById.get(id);
        if (cached != null) {
            return cached;
        }
        JsonNode answer = send(null, "GET", "/schemas/ids/" + id, null);
        Schema schema = parse(answer.path("schema").asText());
        schemasById.put(id, schema);
        return schema;
    }

    /** The latest version registered under {@code subject}, or empty when the subject is unknown. */
    public Optional<RegisteredSchema> latest(String subject) {
        try {
            JsonNode answer = send(subject, "GET", "/subjects/" + encode(subject) + "/versions/latest", null);
            Schema schema = parse(answer.path("schema").asText());
            int id = answer.path("id").asInt();
            schemasById.putIfAbsent(id, schema);
            return Optional.of(
                    new RegisteredSchema(subject, answer.path("version").asInt(), id, schema));
        } catch (SchemaRegistryException e) {
            if (e.status() == 404) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** Whether {@code schema} could be registered under {@code subject}; true for a subject that has no versions. */
    public boolean isCompatible(String subject, Schema schema) {
        try {
            JsonNode answer = send(
                    subject,
                    "POST",
                    "/compatibility/subjects/" + encode(subject) + "/versions/latest",
                    schemaBody(schema));
            return answer.path("is_compatible").asBoolean(false);
        } catch (SchemaRegistryException e) {
            if (e.status() == 404) {
                return true;
            }
            throw e;
        }
    }

    /** Sets the subject's compatibility level, e.g. BACKWARD, FULL, NONE. */
    public void setCompatibility(String subject, String level) {
        ObjectNode body = JSON.createObjectNode().put("compatibility", level);
        send(subject, "PUT", "/config/" + encode(subject), body.toString());
    }

    /** The subject's own compatibility level, or empty when it inherits the global one. */
    public Optional<String> compatibility(String subject) {
        try {
            JsonNode answer = send(subject, "GET", "/config/" + encode(subject), null);
            String level = answer.path("compatibilityLevel")
                    .asText(answer.path("compatibility").asText(""));
            return level.isEmpty() ? Optional.empty() : Optional.of(level);
        } catch (SchemaRegistryException e) {
            if (e.status() == 404) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** Fails with {@link SchemaRegistryUnavailableException} unless the registry answers. */
    public void ping() {
        send(null, "GET", "/subjects", null);
    }

    private Integer cachedId(String subject, Schema schema) {
        Map<Schema, Integer> ids = idsBySubject.get(subject);
        return ids == null ? null : ids.get(schema);
    }

    private void remember(String subject, Schema schema, int id) {
        idsBySubject.computeIfAbsent(subject, s -> new ConcurrentHashMap<>()).put(schema, id);
        schemasById.putIfAbsent(id, schema);
    }

    private static String schemaBody(Schema schema) {
        return JSON.createObjectNode().put("schema", schema.toString()).toString();
    }

    private static Schema parse(String text) {
        return new Schema.Parser().parse(text);
    }

    private static String encode(String subject) {
        return URLEncoder.encode(subject, StandardCharsets.UTF_8);
    }

    private JsonNode send(String subject, String method, String path, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(requestTimeout)
                .header("Accept", CONTENT_TYPE + ", application/json");
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", CONTENT_TYPE).method(method, HttpRequest.BodyPublishers.ofString(body));
        }
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException e) {
            throw new SchemaRegistryUnavailableException(
                    "schema registry at " + baseUrl + " is unreachable (connection refused)", e);
        } catch (HttpTimeoutException e) {
            throw new SchemaRegistryUnavailableException(
                    "schema registry at " + baseUrl + " did not answer within " + requestTimeout.toSeconds() + " s", e);
        } catch (IOException e) {
            throw new SchemaRegistryUnavailableException("schema registry at " + baseUrl + " is unreachable: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchemaRegistryUnavailableException("interrupted while calling the schema registry", e);
        }
        int status = response.statusCode();
        JsonNode answer = readJson(response.body());
        if (status >= 200 && status < 300) {
            return answer;
        }
        String message = answer.path("message").asText(response.body());
        if (status >= 500) {
            throw new SchemaRegistryUnavailableException(
                    "schema registry at " + baseUrl + " failed with HTTP " + status + ": " + message, null);
        }
        if (status == 409 && subject != null) {
            throw new IncompatibleSchemaException(subject, message);
        }
        throw new SchemaRegistryException(
                "schema registry refused " + method + " " + path + " with HTTP " + status + ": " + message, status);
    }

    private static JsonNode readJson(String text) {
        if (text == null || text.isBlank()) {
            return JSON.createObjectNode();
        }
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            return JSON.createObjectNode().put("message", text);
        }
    }
}
