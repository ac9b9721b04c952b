package dev.reflex.connectors.webhook;

import static dev.reflex.connectors.webhook.WebhookRequest.JSON;
import static dev.reflex.connectors.webhook.WebhookRequest.ingestRecord;

import java.util.List;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.reflex.schemas.ContentTypes;

/**
 * {@code POST /github}, GitHub webhooks, verified with X-Hub-Signature-256 (HMAC-SHA256 of the body with
 * {@code github.webhook.secret}, compared in constant time) instead of the bearer token: a CloudEvent with the delivery
 * id as id, so redeliveries are recognisable, type {@code github.<event>[.<action>]}, subject the repository, and the
 * payload as data. Off (404) while no secret is set.
 */
final class GitHubSource implements WebhookSource {
    /** GitHub's event names: letters, digits and underscores (projects_v2_item, security_and_analysis, ...). */
    private static final Pattern EVENT = Pattern.compile("[A-Za-z0-9_]{1,64}");

    private final String secret;

    GitHubSource(String secret) {
        this.secret = secret;
    }

    @Override
    public String path() {
        return "/github";
    }

    @Override
    public boolean bearerToken() {
        return false;
    }

    @Override
    public Publish read(WebhookRequest request) {
        if (secret == null) {
            throw new Refused(404, "the GitHub endpoint is off; set github.webhook.secret to turn it on");
        }
        byte[] body = request.body();
        String signature = request.header("X-Hub-Signature-256");
        if (signature == null || !signature.startsWith("sha256=")) {
            throw new Refused(401, "missing X-Hub-Signature-256");
        }
        if (!WebhookRequest.signatureMatches(secret, body, signature)) {
            throw new Refused(401, "X-Hub-Signature-256 does not match the body");
        }
        String kind = request.header("X-GitHub-Event");
        String delivery = request.header("X-GitHub-Delivery");
        if (kind == null || delivery == null || !EVENT.matcher(kind).matches()) {
            throw new Refused(400, "missing or invalid X-GitHub-Event or X-GitHub-Delivery");
        }
        JsonNode payload = request.jsonObject();
        String action =
                payload.path("action").isTextual() ? payload.path("action").asText() : null;
        ObjectNode event = JSON.createObjectNode()
                .put("specversion", "1.0")
                .put("id", delivery)
                .put("source", "github")
                .put("type", "github." + kind + (action == null ? "" : "." + action))
                .put("datacontenttype", ContentTypes.JSON);
        String subject = subject(payload);
        if (subject != null) {
            event.put("subject", subject);
        }
        event.set("data", payload);
        String topic = request.topic("github");
        return new Publish(topic, List.of(ingestRecord(topic, subject, event, ContentTypes.CLOUDEVENTS_JSON)));
    }

    /**
     * What a GitHub delivery is about: the repository ({@code owner/name}); for events without one (organization,
     * installation, sponsorship, marketplace, membership, ...) the organization's login, else the installation
     * account's login, else the sender's login; none when the payload has none of these.
     */
    static String subject(JsonNode payload) {
        for (JsonNode candidate : List.of(
                payload.path("repository").path("full_name"),
                payload.path("organization").path("login"),
                payload.path("installation").path("account").path("login"),
                payload.path("sender").path("login"))) {
            if (candidate.isTextual() && !candidate.asText().isEmpty()) {
                return candidate.asText();
            }
        }
        return null;
    }
}
