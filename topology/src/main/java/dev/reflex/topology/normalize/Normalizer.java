package dev.reflex.topology.normalize;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.reflex.rules.expr.EventView;
import dev.reflex.schemas.CloudEvents;
import dev.reflex.schemas.ContentTypes;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.RawEvent;
import dev.reflex.schemas.TopicNames;

/**
 * Turns a raw ingest record into an {@link Event}. Understands generic JSON (attributes found through a per-source
 * {@link FieldMapping}), CloudEvents in structured mode ({@code application/cloudevents+json}) and binary mode
 * ({@code ce_*} headers), and Avro {@link RawEvent}s, which wrap any of those. Everything it cannot read is a
 * {@link NormalizationException} with the reason.
 */
public final class Normalizer {
    private static final String CONTENT_TYPE_HEADER = ContentTypes.HEADER;
    private static final String JSON = ContentTypes.JSON;
    private static final String CLOUDEVENTS_JSON = ContentTypes.CLOUDEVENTS_JSON;
    private static final String RAW_EVENT_AVRO = ContentTypes.RAW_EVENT_AVRO;
    private static final String CE_PREFIX = "ce_";
    /** Trailing content after the JSON value is an error, so the text kept as data is always the value itself. */
    private static final ObjectMapper MAPPER =
            new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** Where a raw record came from, for deterministic ids of events that carry none. */
    public record Origin(String topic, int partition, long offset, long timestamp) {}

    private final TopicNames topics;
    private final int maxBytes;
    private final Function<String, FieldMapping> mappings;
    private final Function<byte[], RawEvent> rawEventReader;

    public Normalizer(
            TopicNames topics,
            int maxBytes,
            Function<String, FieldMapping> mappings,
            Function<byte[], RawEvent> rawEventReader) {
        this.topics = topics;
        this.maxBytes = maxBytes;
        this.mappings = mappings;
        this.rawEventReader = rawEventReader;
    }

    public Event normalize(Origin origin, Headers headers, byte[] value) throws NormalizationException {
        if (value == null) {
            throw new NormalizationException("the record has no value");
        }
        if (value.length > maxBytes) {
            throw new NormalizationException(
                    "the record is " + value.length + " bytes; the limit is " + maxBytes + " (reflex.max.event.bytes)");
        }
        Map<String, String> headerMap = new HashMap<>();
        for (Header h : headers) {
            if (h.value() != null) {
                headerMap.put(h.key().toLowerCase(Locale.ROOT), new String(h.value(), StandardCharsets.UTF_8));
            }
        }
        return normalize(origin, topics.sourceOf(origin.topic()), headerMap, value, true);
    }

    private Event normalize(Origin origin, String source, Map<String, String> headers, byte[] body, boolean outer)
            throws NormalizationException {
        String contentType = mediaType(headers.get(CONTENT_TYPE_HEADER));
        if (headers.containsKey(CE_PREFIX + "specversion")) {
            return binaryCloudEvent(origin, headers, contentType == null ? JSON : contentType, body);
        }
        if (contentType == null
                || contentType.equals(JSON)
                || contentType.endsWith("+json") && !contentType.equals(CLOUDEVENTS_JSON)) {
            return genericJson(origin, source, body);
        }
        if (contentType.equals(CLOUDEVENTS_JSON)) {
            return structuredCloudEvent(origin, body);
        }
        if (contentType.equals(RAW_EVENT_AVRO)) {
            if (!outer) {
                throw new NormalizationException("a RawEvent cannot wrap another RawEvent");
            }
            RawEvent raw;
            try {
                raw = rawEventReader.apply(body);
            } catch (SerializationException e) {
                throw new NormalizationException("cannot read the Avro RawEvent: " + e.getMessage(), e);
            }
            if (raw.getBody().remaining() > maxBytes) {
                throw new NormalizationException(
                        "the RawEvent body is " + raw.getBody().remaining() + " bytes; the limit is " + maxBytes);
            }
            Map<String, String> inner = new HashMap<>();
            raw.getHeaders().forEach((k, v) -> inner.put(k.toLowerCase(Locale.ROOT), v));
            inner.put(CONTENT_TYPE_HEADER, raw.getContentType());
            String innerSource = raw.getSource() == null ? source : raw.getSource();
            return normalize(origin, innerSource, inner, bytes(raw.getBody()), false);
        }
        throw new NormalizationException("unsupported content type '" + contentType + "'; send " + JSON + ", "
                + CLOUDEVENTS_JSON + ", CloudEvents binary mode (ce_* headers) or " + RAW_EVENT_AVRO);
    }

    private Event genericJson(Origin origin, String source, byte[] body) throws NormalizationException {
        JsonNode root = parseJson(body);
        if (!root.isObject()) {
            throw new NormalizationException("expected a JSON object, got " + describe(root));
        }
        FieldMapping mapping = mappings.apply(source);
        String type = text(root, mapping.type(), "type");
        if (type == null) {
            type = mapping.defaultType();
        }
        if (type == null || type.isBlank()) {
            throw new NormalizationException("the event has no type: field " + mapping.type()
                    + " is missing; add it, or set reflex.normalizer." + source + ".type.default");
        }
        String id = text(root, mapping.id(), "id");
        String data = new String(body, StandardCharsets.UTF_8);
        EventView.parsed(data, root);
        return Event.newBuilder()
                .setId(id != null ? id : defaultId(origin))
                .setSource(source)
                .setType(type)
                .setSubject(text(root, mapping.subject(), "subject"))
                .setTime(time(root.at(mapping.time()), mapping.time().toString(), origin))
                .setDatacontenttype(JSON)
                // the producer's own text: parsing proved it is one JSON object, and writing it again would cost as
                // much
                .setData(data)
                .setLabels(labels(root.at(mapping.labels())))
                .setSeverity(text(root, mapping.severity(), "severity"))
                .setCorrelationid(text(root, mapping.correlationid(), "correlationid"))
                .build();
    }

    private Event structuredCloudEvent(Origin origin, byte[] body) throws NormalizationException {
        JsonNode root = parseJson(body);
        List<String> problems = CloudEvents.violations(root);
        if (!problems.isEmpty()) {
            throw new NormalizationException("invalid CloudEvent: " + String.join("; ", problems));
        }
        Map<String, String> attributes = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (!field.getKey().equals("data")
                    && !field.getKey().equals("data_base64")
                    && field.getValue().isValueNode()
                    && !field.getValue().isNull()) {
                attributes.put(field.getKey(), field.getValue().asText());
            }
        }
        String dataContentType = attributes.getOrDefault("datacontenttype", JSON);
        JsonNode data = root.get("data");
        JsonNode base64 = root.get("data_base64");
        if (base64 != null && !base64.isNull()) {
            return cloudEvent(origin, attributes, dataContentType, CloudEvents.decodeBase64(base64.asText()), true);
        }
        String dataText;
        if (data == null || data.isNull()) {
            dataText = null;
        } else if (data.isTextual() && !isJson(dataContentType)) {
            dataText = data.asText();
        } else {
            dataText = data.toString();
            EventView.parsed(dataText, data);
        }
        return cloudEvent(origin, attributes, dataContentType, dataText, null);
    }

    private Event binaryCloudEvent(Origin origin, Map<String, String> headers, String contentType, byte[] body)
            throws NormalizationException {
        Map<String, String> attributes = new HashMap<>();
        headers.forEach((k, v) -> {
            if (k.startsWith(CE_PREFIX)) {
                attributes.put(k.substring(CE_PREFIX.length()), v);
            }
        });
        List<String> problems = CloudEvents.violations(attributes);
        if (!problems.isEmpty()) {
            throw new NormalizationException("invalid CloudEvent: " + String.join("; ", problems));
        }
        if (body.length == 0) {
            return cloudEvent(origin, attributes, contentType, null, null);
        }
        return cloudEvent(origin, attributes, contentType, body, false);
    }

    /**
     * An event whose data came as bytes: decoded for rules when they are JSON or text, and kept as they are when they
     * came as data_base64 ({@code keep}) or are neither.
     */
    private Event cloudEvent(
            Origin origin, Map<String, String> attributes, String dataContentType, byte[] bytes, boolean keep)
            throws NormalizationException {
        String media = mediaType(dataContentType);
        String text = null;
        if (isJson(media)) {
            JsonNode tree = parseJson(bytes);
            text = tree.toString();
            EventView.parsed(text, tree);
        } else if (media != null && (media.startsWith("text/") || media.endsWith("xml"))) {
            text = utf8(bytes);
        }
        return cloudEvent(
                origin, attributes, dataContentType, text, keep || text == null ? ByteBuffer.wrap(bytes) : null);
    }

    private Event cloudEvent(
            Origin origin, Map<String, String> attributes, String dataContentType, String data, ByteBuffer bytes) {
        Map<String, String> labels = new HashMap<>();
        attributes.forEach((k, v) -> {
            if (!CloudEvents.CORE.contains(k)
                    && !k.equals("severity")
                    && !k.equals("correlationid")
                    && !k.equals("traceparent")) {
                labels.put(k, v);
            }
        });
        return Event.newBuilder()
                .setSpecversion(attributes.get("specversion"))
                .setId(attributes.get("id"))
                .setSource(attributes.get("source"))
                .setType(attributes.get("type"))
                .setSubject(attributes.get("subject"))
                .setTime(
                        attributes.containsKey("time")
                                ? OffsetDateTime.parse(attributes.get("time").toUpperCase(Locale.ROOT))
                                        .toInstant()
                                : Instant.ofEpochMilli(origin.timestamp()))
                .setDatacontenttype(dataContentType)
                .setData(data)
                .setDataBase64(bytes)
                .setLabels(labels)
                .setSeverity(attributes.get("severity"))
                .setCorrelationid(attributes.get("correlationid"))
                .setTraceparent(attributes.get("traceparent"))
                .build();
    }

    private static String defaultId(Origin origin) {
        return origin.topic() + "-" + origin.partition() + "-" + origin.offset();
    }

    private static JsonNode parseJson(byte[] body) throws NormalizationException {
        try {
            JsonNode node = MAPPER.readTree(body);
            if (node == null || node.isMissingNode()) {
                throw new NormalizationException("the body is empty; expected JSON");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new NormalizationException(
                    "invalid JSON: " + e.getOriginalMessage()
                            + (e.getLocation() == null
                                    ? ""
                                    : " at line " + e.getLocation().getLineNr() + ", column "
                                            + e.getLocation().getColumnNr()),
                    e);
        } catch (IOException e) {
            throw new NormalizationException("unreadable body: " + e.getMessage(), e);
        }
    }

    private static String text(JsonNode root, JsonPointer pointer, String what) throws NormalizationException {
        JsonNode node = root.at(pointer);
        if (node.isMissingNode() || node.isNull()) {
            return null;
        }
        if (!node.isValueNode()) {
            throw new NormalizationException(
                    "field " + pointer + " (" + what + ") must be text or a number, got " + describe(node));
        }
        return node.asText();
    }

    private static Instant time(JsonNode node, String where, Origin origin) throws NormalizationException {
        if (node.isMissingNode() || node.isNull()) {
            return Instant.ofEpochMilli(origin.timestamp());
        }
        if (node.isIntegralNumber()) {
            return Instant.ofEpochMilli(node.longValue());
        }
        if (node.isTextual()) {
            return parseTime(node.asText(), where);
        }
        throw new NormalizationException(
                "field " + where + " must be an RFC 3339 time or epoch milliseconds, got " + describe(node));
    }

    private static Instant parseTime(String text, String where) throws NormalizationException {
        try {
            return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException e) {
            throw new NormalizationException(
                    "field " + where + ": '" + text + "' is not an RFC 3339 time (e.g. 2026-01-31T12:00:00Z)");
        }
    }

    private static Map<String, String> labels(JsonNode node) throws NormalizationException {
        Map<String, String> labels = new HashMap<>();
        if (node.isMissingNode() || node.isNull()) {
            return labels;
        }
        if (!node.isObject()) {
            throw new NormalizationException("labels must be a JSON object of names to values, got " + describe(node));
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            labels.put(
                    e.getKey(),
                    e.getValue().isValueNode()
                            ? e.getValue().asText()
                            : e.getValue().toString());
        }
        return labels;
    }

    private static String describe(JsonNode node) {
        return switch (node.getNodeType()) {
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            default -> "null";
        };
    }

    private static boolean isJson(String contentType) {
        return ContentTypes.isJson(contentType);
    }

    private static String mediaType(String header) {
        return ContentTypes.mediaType(header);
    }

    private static String utf8(byte[] body) throws NormalizationException {
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new NormalizationException("the body is not valid UTF-8 text");
        }
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] out = new byte[buffer.remaining()];
        buffer.duplicate().get(out);
        return out;
    }
}
