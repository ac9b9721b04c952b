package dev.reflex.connectors.webhook;

import static dev.reflex.connectors.webhook.WebhookRequest.ingestRecord;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;

import com.fasterxml.jackson.databind.JsonNode;

import dev.reflex.schemas.CloudEvents;
import dev.reflex.schemas.ContentTypes;
import dev.reflex.schemas.TopicNames;

/**
 * {@code POST /events/{source}}: a JSON object (or an array of them) published to {@code reflex.ingest.<source>} as
 * sent, keyed by its {@code subject}; CloudEvents in structured mode ({@code application/cloudevents+json}), batch mode
 * and binary mode ({@code ce-*} headers) are checked and pass through to the engine's normalizer. A source with an
 * HMAC secret needs the body's signature in {@code webhook.hmac.header}.
 */
final class GenericSource implements WebhookSource {
    private static final Set<String> JSON_TYPES =
            Set.of(ContentTypes.JSON, ContentTypes.CLOUDEVENTS_JSON, CloudEvents.BATCH_JSON);
    private static final int MAX_EVENTS = 1000;

    private final WebhookConfig config;

    GenericSource(WebhookConfig config) {
        this.config = config;
    }

    @Override
    public String path() {
        return "/events/{source}";
    }

    @Override
    public Publish read(WebhookRequest request) {
        String source = request.pathParam("source");
        if (!TopicNames.isValidPart(source)) {
            throw new Refused(400, "invalid source name '" + source + "': use letters, digits, '.', '_' or '-'");
        }
        String contentType = request.mediaType();
        Map<String, String> attributes = request.cloudEventAttributes();
        boolean binary = attributes.containsKey("specversion");
        if (!binary && !JSON_TYPES.contains(contentType)) {
            throw new Refused(
                    415,
                    "send JSON (Content-Type: application/json, application/cloudevents+json or "
                            + CloudEvents.BATCH_JSON + "), got '"
                            + (contentType == null ? "no content type" : contentType) + "'");
        }
        byte[] body = request.body();
        String secret = config.hmacSecret(source);
        String signatureHeader = config.getString(WebhookConfig.HMAC_HEADER_CONFIG);
        if (secret != null && !WebhookRequest.signatureMatches(secret, body, request.header(signatureHeader))) {
            throw new Refused(401, "missing or wrong " + signatureHeader + " signature for source " + source);
        }
        if (binary) {
            refuseInvalid(CloudEvents.violations(attributes));
        }
        String topic = request.topic(source);
        if (CloudEvents.BATCH_JSON.equals(contentType) && !binary) {
            return batch(topic, request.json());
        }
        String subject = binary ? attributes.get("subject") : null;
        if (contentType != null && contentType.contains("json")) {
            JsonNode json = request.json();
            if (!binary) {
                if (json.isArray() && ContentTypes.JSON.equals(contentType)) {
                    return array(topic, json);
                }
                if (!json.isObject()) {
                    throw new Refused(400, "expected a JSON object");
                }
                if (ContentTypes.CLOUDEVENTS_JSON.equals(contentType)) {
                    refuseInvalid(CloudEvents.violations(json));
                }
                subject = json.path("subject").isValueNode()
                        ? json.path("subject").asText()
                        : null;
            }
        }
        ProducerRecord<byte[], byte[]> record =
                ingestRecord(topic, subject, body, contentType == null ? ContentTypes.JSON : contentType);
        attributes.forEach((name, value) ->
                record.headers().add(new RecordHeader("ce_" + name, value.getBytes(StandardCharsets.UTF_8))));
        return new Publish(topic, List.of(record));
    }

    private static void refuseInvalid(List<String> violations) {
        if (!violations.isEmpty()) {
            throw new Refused(400, "invalid CloudEvent: " + String.join("; ", violations), violations);
        }
    }

    /**
     * CloudEvents batch mode: a JSON array of structured events, each checked and published as a structured event of its
     * own; one invalid event refuses the whole batch, with the violations of each by its index.
     */
    private static Publish batch(String topic, JsonNode array) {
        if (!array.isArray() || array.size() > MAX_EVENTS) {
            throw new Refused(400, "a CloudEvents batch must be a JSON array of at most " + MAX_EVENTS + " events");
        }
        List<String> violations = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            for (String violation : CloudEvents.violations(array.get(i))) {
                violations.add("event " + i + ": " + violation);
            }
        }
        refuseInvalid(violations);
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (JsonNode event : array) {
            String subject =
                    event.path("subject").isTextual() ? event.path("subject").asText() : null;
            records.add(ingestRecord(topic, subject, event, ContentTypes.CLOUDEVENTS_JSON));
        }
        return new Publish(topic, records);
    }

    /** A JSON array of objects: one event each, all accepted or none answered 202. */
    private static Publish array(String topic, JsonNode array) {
        if (array.isEmpty() || array.size() > MAX_EVENTS) {
            throw new Refused(400, "an array of events must hold 1 to " + MAX_EVENTS + " JSON objects");
        }
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (JsonNode item : array) {
            if (!item.isObject()) {
                throw new Refused(400, "every element of the array must be a JSON object");
            }
            String subject =
                    item.path("subject").isValueNode() ? item.path("subject").asText() : null;
            records.add(ingestRecord(topic, subject, item, ContentTypes.JSON));
        }
        return new Publish(topic, records);
    }
}
