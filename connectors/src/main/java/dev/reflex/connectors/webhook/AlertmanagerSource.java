package dev.reflex.connectors.webhook;

import static dev.reflex.connectors.webhook.WebhookRequest.JSON;
import static dev.reflex.connectors.webhook.WebhookRequest.ingestRecord;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeMap;

import org.apache.kafka.clients.producer.ProducerRecord;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.reflex.schemas.ContentTypes;

/**
 * {@code POST /alertmanager}, Alertmanager's webhook: one event per alert, generic JSON on
 * {@code reflex.ingest.alertmanager}: subject the alert's fingerprint, type {@code alert.firing} or
 * {@code alert.resolved}, labels and annotations carried, and an id made of fingerprint, status and start so that a
 * redelivered notification yields the same ids.
 */
final class AlertmanagerSource implements WebhookSource {
    @Override
    public String path() {
        return "/alertmanager";
    }

    @Override
    public Publish read(WebhookRequest request) {
        JsonNode payload = request.jsonObject();
        JsonNode alerts = payload.path("alerts");
        if (!alerts.isArray() || alerts.isEmpty()) {
            throw new Refused(400, "an Alertmanager notification needs a non-empty 'alerts' list");
        }
        String topic = request.topic("alertmanager");
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (JsonNode alert : alerts) {
            String fingerprint = alert.path("fingerprint").asText("");
            if (fingerprint.isEmpty()) {
                fingerprint = fingerprint(alert.path("labels"));
            }
            String status = alert.path("status").asText(payload.path("status").asText("firing"));
            if (!(status.equals("firing") || status.equals("resolved"))) {
                throw new Refused(400, "every alert needs a status of firing or resolved");
            }
            records.add(
                    ingestRecord(topic, fingerprint, event(payload, alert, fingerprint, status), ContentTypes.JSON));
        }
        return new Publish(topic, records);
    }

    private static ObjectNode event(JsonNode payload, JsonNode alert, String fingerprint, String status) {
        ObjectNode event = JSON.createObjectNode();
        event.put(
                "id",
                "alertmanager-" + fingerprint + "-" + status + "-"
                        + alert.path("startsAt").asText(""));
        event.put("type", "alert." + status);
        event.put("subject", fingerprint);
        String time = status.equals("resolved")
                ? alert.path("endsAt").asText(null)
                : alert.path("startsAt").asText(null);
        if (time != null && !time.startsWith("0001-")) {
            event.put("time", time);
        }
        JsonNode labels = alert.path("labels");
        if (labels.path("severity").isTextual()) {
            event.put("severity", labels.path("severity").asText());
        }
        event.set("labels", labels.isObject() ? labels : JSON.createObjectNode());
        event.set(
                "annotations",
                alert.path("annotations").isObject() ? alert.path("annotations") : JSON.createObjectNode());
        event.put("alertname", labels.path("alertname").asText(null));
        event.put("status", status);
        event.set("startsAt", alert.path("startsAt"));
        event.set("endsAt", alert.path("endsAt"));
        event.set("generatorURL", alert.path("generatorURL"));
        event.set("receiver", payload.path("receiver"));
        event.set("groupKey", payload.path("groupKey"));
        event.set("externalURL", payload.path("externalURL"));
        return event;
    }

    /**
     * The fingerprint of an alert that has none (Alertmanager before 0.19 sent none): the first 16 hex digits of the
     * SHA-256 of its labels sorted by name, each as name, 0xff, value, 0xff. Stable across deliveries and processes,
     * and the same label set always gives the same fingerprint; it is not Alertmanager's own hash.
     */
    static String fingerprint(JsonNode labels) {
        TreeMap<String, String> sorted = new TreeMap<>();
        if (labels.isObject()) {
            labels.fields()
                    .forEachRemaining(e -> sorted.put(e.getKey(), e.getValue().asText()));
        }
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sorted.forEach((name, value) -> {
                sha.update(name.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0xff);
                sha.update(value.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0xff);
            });
            return HexFormat.of().formatHex(sha.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by the Java platform", e);
        }
    }
}
