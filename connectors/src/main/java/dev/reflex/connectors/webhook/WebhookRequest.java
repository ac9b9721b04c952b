package dev.reflex.connectors.webhook;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.javalin.http.Context;

import dev.reflex.schemas.ContentTypes;
import dev.reflex.schemas.TopicNames;

/** What a {@link WebhookSource} reads of a request: its body (read once, within the limits), headers and path. */
public final class WebhookRequest {
    static final ObjectMapper JSON = new ObjectMapper();

    private final Context ctx;
    private final RequestBodies bodies;
    private final TopicNames names;

    WebhookRequest(Context ctx, RequestBodies bodies, TopicNames names) {
        this.ctx = ctx;
        this.bodies = bodies;
        this.names = names;
    }

    public byte[] body() {
        return bodies.read(ctx);
    }

    public String header(String name) {
        return ctx.header(name);
    }

    public String pathParam(String name) {
        return ctx.pathParam(name);
    }

    /** The media type of the body, without parameters; null when none was sent. */
    public String mediaType() {
        return ContentTypes.mediaType(ctx.contentType());
    }

    /** The ingest topic of {@code source}. */
    public String topic(String source) {
        return names.ingest(source);
    }

    /** CloudEvents binary mode's attributes: the {@code ce-} headers by their lower-case names without the prefix. */
    public Map<String, String> cloudEventAttributes() {
        Map<String, String> attributes = new TreeMap<>();
        ctx.headerMap().forEach((name, value) -> {
            String lower = name.toLowerCase(Locale.ROOT);
            if (lower.startsWith("ce-")) {
                attributes.put(lower.substring(3), value);
            }
        });
        return attributes;
    }

    /** The body as JSON; refused (400, with the reason) when it is empty or not JSON. */
    public JsonNode json() {
        try {
            JsonNode json = JSON.readTree(body());
            if (json == null || json.isMissingNode()) {
                throw new WebhookSource.Refused(400, "invalid JSON: the body is empty");
            }
            return json;
        } catch (IOException e) {
            throw new WebhookSource.Refused(
                    400,
                    "invalid JSON: "
                            + (e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
        }
    }

    /** The body as a JSON object; refused otherwise. */
    public JsonNode jsonObject() {
        JsonNode json = json();
        if (!json.isObject()) {
            throw new WebhookSource.Refused(400, "expected a JSON object");
        }
        return json;
    }

    /** Whether {@code signature} is {@code sha256=<hex HMAC-SHA256 of body>} under {@code secret}, compared in constant time. */
    static boolean signatureMatches(String secret, byte[] body, String signature) {
        if (signature == null) {
            return false;
        }
        byte[] expected;
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            expected = ("sha256=" + HexFormat.of().formatHex(mac.doFinal(body))).getBytes(StandardCharsets.UTF_8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is required by the Java platform", e);
        }
        return MessageDigest.isEqual(
                expected, signature.strip().toLowerCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8));
    }

    /** An ingest record keyed by the event's subject (none: the producer spreads them), with its content type. */
    static ProducerRecord<byte[], byte[]> ingestRecord(String topic, String subject, byte[] body, String contentType) {
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(
                topic, null, subject == null ? null : subject.getBytes(StandardCharsets.UTF_8), body);
        record.headers().add(new RecordHeader(ContentTypes.HEADER, contentType.getBytes(StandardCharsets.UTF_8)));
        return record;
    }

    static ProducerRecord<byte[], byte[]> ingestRecord(
            String topic, String subject, JsonNode event, String contentType) {
        return ingestRecord(topic, subject, event.toString().getBytes(StandardCharsets.UTF_8), contentType);
    }
}
