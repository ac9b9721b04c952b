package dev.reflex.connectors.webhook;

import java.util.List;

import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * One kind of webhook the connector receives: its path, whether the connector's bearer token guards it, and how a
 * request becomes events on an ingest topic. A new push source (Slack, PagerDuty, Grafana, ...) is a class implementing
 * this, listed in {@link WebhookConnector#sources}, with its settings in {@link WebhookConfig}.
 */
public interface WebhookSource {
    /** The events of one request, to publish all or none: 202 once Kafka has every one (none: 202 at once). */
    record Publish(String topic, List<ProducerRecord<byte[], byte[]>> records) {}

    /** A request refused with a status and the reason, and the violations of a CloudEvent when that is why. */
    final class Refused extends RuntimeException {
        private final int status;
        private final List<String> violations;

        public Refused(int status, String reason) {
            this(status, reason, List.of());
        }

        public Refused(int status, String reason, List<String> violations) {
            super(reason);
            this.status = status;
            this.violations = List.copyOf(violations);
        }

        public int status() {
            return status;
        }

        public List<String> violations() {
            return violations;
        }
    }

    /** The path it answers POSTs on, in Javalin's syntax ({@code /events/{source}}). */
    String path();

    /** Whether the connector's bearer token guards it; false for a source that verifies its requests itself. */
    default boolean bearerToken() {
        return true;
    }

    /** The request's events; throws {@link Refused} to answer 4xx with the reason. */
    Publish read(WebhookRequest request);
}
