package dev.reflex.connectors;

import java.net.BindException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.reflex.schemas.CloudEvents;
import dev.reflex.schemas.ContentTypes;
import dev.reflex.schemas.TopicAdmin;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.TopicSpec;
import io.javalin.Javalin;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.javalin.http.Context;

/**
 * The generic webhook connector: {@code POST /events/{source}} with a JSON object publishes it to
 * {@code reflex.ingest.<source>}. The answer is 202 only after Kafka acknowledged the record ({@code acks=all},
 * idempotent producer), so a 202 means the event is durable; 503 with {@code Retry-After} when Kafka is unavailable.
 * CloudEvents in structured mode ({@code application/cloudevents+json}) and binary mode ({@code ce-*} headers) pass
 * through to the engine's normalizer.
 */
public final class WebhookConnector implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WebhookConnector.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** GitHub's event names: letters, digits and underscores (projects_v2_item, security_and_analysis, ...). */
    private static final java.util.regex.Pattern GITHUB_EVENT = java.util.regex.Pattern.compile("[A-Za-z0-9_]{1,64}");
    private static final Set<String> JSON_TYPES = Set.of(ContentTypes.JSON, ContentTypes.CLOUDEVENTS_JSON, CloudEvents.BATCH_JSON);

    /** The port is taken; the message says so in one line. */
    public static final class PortInUseException extends RuntimeException {
        public PortInUseException(int port) {
            super("port " + port + " (webhook connector) is already in use; stop whatever holds it or choose another port");
        }
    }

    private final WebhookConfig config;
    private final TopicNames names;
    private final KafkaProducer<byte[], byte[]> producer;
    private final Admin admin;
    private final Set<String> knownTopics = ConcurrentHashMap.newKeySet();
    private final Javalin app;
    private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final KafkaClientMetrics producerMetrics;
    private final RequestBodies bodies;
    /** Why the last attempt to publish failed, until one succeeds again; health reports it. */
    private volatile String kafkaProblem;

    private WebhookConnector(WebhookConfig config) {
        this.config = config;
        this.names = config.topicNames();
        this.admin = Admin.create(config.kafka().client(
            AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000",
            AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000"));
        long timeout = config.getLong(WebhookConfig.PRODUCE_TIMEOUT_MS_CONFIG);
        this.producer = new KafkaProducer<>(config.kafka().client(
            ProducerConfig.ACKS_CONFIG, "all",
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
            ProducerConfig.LINGER_MS_CONFIG, 1,
            ProducerConfig.MAX_BLOCK_MS_CONFIG, timeout,
            ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(timeout - 2, 10_000),
            // the request is answered 503 after about webhook.produce.timeout.ms, as documented (the producer needs
            // delivery.timeout.ms >= request.timeout.ms + linger.ms)
            ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) timeout,
            ProducerConfig.MAX_REQUEST_SIZE_CONFIG, config.getInt(WebhookConfig.MAX_BODY_BYTES_CONFIG) + 64 * 1024),
            new ByteArraySerializer(), new ByteArraySerializer());
        this.producerMetrics = new KafkaClientMetrics(producer);
        producerMetrics.bindTo(metrics);
        new JvmMemoryMetrics().bindTo(metrics);
        new JvmThreadMetrics().bindTo(metrics);
        new ProcessorMetrics().bindTo(metrics);
        long readTimeout = config.getLong(WebhookConfig.READ_TIMEOUT_MS_CONFIG);
        this.bodies = new RequestBodies(config.getInt(WebhookConfig.MAX_BODY_BYTES_CONFIG), readTimeout,
            config.getLong(WebhookConfig.MIN_BODY_RATE_CONFIG));
        this.app = Javalin.create(cfg -> {
            cfg.showJavalinBanner = false;
            cfg.http.maxRequestSize = config.getInt(WebhookConfig.MAX_BODY_BYTES_CONFIG);
            cfg.jetty.modifyHttpConfiguration(http -> {
                http.setIdleTimeout(readTimeout);
            });
        });
        app.get("/health", this::health);
        app.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()));
        app.after(ctx -> {
            if (ctx.method() == io.javalin.http.HandlerType.POST) {
                String endpoint = ctx.endpointHandlerPath();
                metrics.counter("reflex.webhook.requests", "endpoint", endpoint, "status", Integer.toString(ctx.statusCode())).increment();
            }
        });
        app.post("/events/{source}", this::accept);
        app.post("/alertmanager", this::alertmanager);
        app.post("/github", this::github);
        app.exception(RequestBodies.TooLarge.class, (e, ctx) -> {
            // the rest of the body is not read: close the connection instead of draining it
            ctx.header("Connection", "close");
            reply(ctx, 413, e.getMessage());
        });
        app.exception(RequestBodies.NotReceived.class, (e, ctx) -> {
            LOG.debug("request from {} dropped: {}", ctx.ip(), e.getMessage());
            metrics.counter("reflex.webhook.bodies.dropped").increment();
            ctx.header("Connection", "close");
            reply(ctx, 408, e.getMessage());
        });
        app.exception(Exception.class, (e, ctx) -> {
            LOG.error("unexpected failure handling {} {}", ctx.method(), ctx.path(), e);
            reply(ctx, 500, "internal error; see the connector's log");
        });
    }

    /** Starts listening; fails with a one-line message when the port is taken or Kafka is unreachable. */
    public static WebhookConnector start(WebhookConfig config) {
        WebhookConnector connector = new WebhookConnector(config);
        try {
            TopicAdmin.requireReachable(connector.admin, config.kafka().toString(), 10_000);
            connector.app.start(config.getString(WebhookConfig.HTTP_HOST_CONFIG), config.getInt(WebhookConfig.HTTP_PORT_CONFIG));
        } catch (RuntimeException e) {
            connector.close();
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof BindException) {
                    throw new PortInUseException(config.getInt(WebhookConfig.HTTP_PORT_CONFIG));
                }
            }
            throw e;
        }
        return connector;
    }

    /** 200 while events can be published; 503 with the reason after a publish failed, until one succeeds again. */
    private void health(Context ctx) {
        String problem = kafkaProblem;
        if (problem != null) {
            try {
                admin.describeCluster().clusterId().get(2, TimeUnit.SECONDS);
                kafkaProblem = null;
                problem = null;
            } catch (Exception e) {
                // still unreachable: report the failure that was seen
            }
        }
        ObjectNode answer = JSON.createObjectNode().put("status", problem == null ? "UP" : "DOWN");
        if (problem != null) {
            answer.put("reason", problem);
        }
        ctx.status(problem == null ? 200 : 503).contentType("application/json").result(answer.toString());
    }

    public int port() {
        return app.port();
    }

    private void accept(Context ctx) {
        if (!authorized(ctx)) {
            ctx.header("WWW-Authenticate", "Bearer");
            reply(ctx, 401, "missing or wrong bearer token");
            return;
        }
        String source = ctx.pathParam("source");
        if (!TopicNames.isValidPart(source)) {
            reply(ctx, 400, "invalid source name '" + source + "': use letters, digits, '.', '_' or '-'");
            return;
        }
        String contentType = ContentTypes.mediaType(ctx.contentType());
        boolean binaryCloudEvent = ctx.header("ce-specversion") != null;
        if (!binaryCloudEvent && !JSON_TYPES.contains(contentType)) {
            reply(ctx, 415, "send JSON (Content-Type: application/json, application/cloudevents+json or "
                + CloudEvents.BATCH_JSON + "), got '" + (contentType == null ? "no content type" : contentType) + "'");
            return;
        }
        byte[] body = bodies.read(ctx);
        String sourceSecret = config.hmacSecret(source);
        if (sourceSecret != null && !signatureMatches(sourceSecret, body, ctx.header(config.getString(WebhookConfig.HMAC_HEADER_CONFIG)))) {
            reply(ctx, 401, "missing or wrong " + config.getString(WebhookConfig.HMAC_HEADER_CONFIG) + " signature for source " + source);
            return;
        }
        if (binaryCloudEvent) {
            Map<String, String> attributes = new java.util.TreeMap<>();
            ctx.headerMap().forEach((name, value) -> {
                String lower = name.toLowerCase(Locale.ROOT);
                if (lower.startsWith("ce-")) {
                    attributes.put(lower.substring(3), value);
                }
            });
            if (refused(ctx, CloudEvents.violations(attributes))) {
                return;
            }
        }
        if (CloudEvents.BATCH_JSON.equals(contentType) && !binaryCloudEvent) {
            acceptBatch(ctx, source, body);
            return;
        }
        String subject = binaryCloudEvent ? ctx.header("ce-subject") : null;
        if (contentType != null && contentType.contains("json")) {
            Optional<JsonNode> parsed = readJson(ctx, body);
            if (parsed.isEmpty()) {
                return;
            }
            JsonNode json = parsed.get();
            if (!binaryCloudEvent) {
                if (json.isArray() && ContentTypes.JSON.equals(contentType)) {
                    acceptArray(ctx, source, json);
                    return;
                }
                if (!json.isObject()) {
                    reply(ctx, 400, "expected a JSON object");
                    return;
                }
                if (ContentTypes.CLOUDEVENTS_JSON.equals(contentType) && refused(ctx, CloudEvents.violations(json))) {
                    return;
                }
                subject = json.path("subject").isValueNode() ? json.path("subject").asText() : null;
            }
        }
        String topic = names.ingest(source);
        ProducerRecord<byte[], byte[]> record = ingestRecord(topic, subject, body, contentType == null ? ContentTypes.JSON : contentType);
        if (binaryCloudEvent) {
            ctx.headerMap().forEach((name, value) -> {
                String lower = name.toLowerCase(Locale.ROOT);
                if (lower.startsWith("ce-")) {
                    record.headers().add(new RecordHeader("ce_" + lower.substring(3), value.getBytes(StandardCharsets.UTF_8)));
                }
            });
        }
        produce(ctx, topic, List.of(record));
    }

    /** Answers 400 naming every violation, when there are any. */
    private static boolean refused(Context ctx, List<String> violations) {
        if (violations.isEmpty()) {
            return false;
        }
        ObjectNode answer = JSON.createObjectNode().put("error", "invalid CloudEvent: " + String.join("; ", violations));
        violations.forEach(answer.putArray("violations")::add);
        ctx.status(400).contentType("application/json").result(answer.toString());
        return true;
    }

    /**
     * CloudEvents batch mode: a JSON array of structured events, each checked and published as a structured event of its
     * own; one invalid event refuses the whole batch, with the violations of each by its index.
     */
    private void acceptBatch(Context ctx, String source, byte[] body) {
        Optional<JsonNode> parsed = readJson(ctx, body);
        if (parsed.isEmpty()) {
            return;
        }
        JsonNode array = parsed.get();
        if (!array.isArray() || array.size() > 1000) {
            reply(ctx, 400, "a CloudEvents batch must be a JSON array of at most 1000 events");
            return;
        }
        List<String> violations = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            for (String violation : CloudEvents.violations(array.get(i))) {
                violations.add("event " + i + ": " + violation);
            }
        }
        if (refused(ctx, violations)) {
            return;
        }
        if (array.isEmpty()) {
            ctx.status(202).contentType("application/json").result(JSON.createObjectNode().put("accepted", 0).toString());
            return;
        }
        String topic = names.ingest(source);
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (JsonNode event : array) {
            String subject = event.path("subject").isTextual() ? event.path("subject").asText() : null;
            records.add(ingestRecord(topic, subject, event, ContentTypes.CLOUDEVENTS_JSON));
        }
        produce(ctx, topic, records);
    }

    /** A JSON array of objects: one event each, all accepted or none answered 202. */
    private void acceptArray(Context ctx, String source, JsonNode array) {
        if (array.isEmpty() || array.size() > 1000) {
            reply(ctx, 400, "an array of events must hold 1 to 1000 JSON objects");
            return;
        }
        String topic = names.ingest(source);
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (JsonNode item : array) {
            if (!item.isObject()) {
                reply(ctx, 400, "every element of the array must be a JSON object");
                return;
            }
            String subject = item.path("subject").isValueNode() ? item.path("subject").asText() : null;
            records.add(ingestRecord(topic, subject, item, ContentTypes.JSON));
        }
        produce(ctx, topic, records);
    }

    /**
     * Alertmanager's webhook: one event per alert, generic JSON on {@code reflex.ingest.alertmanager}: subject the
     * alert's fingerprint, type {@code alert.firing} or {@code alert.resolved}, labels and annotations carried, and an
     * id made of fingerprint, status and start so that a redelivered notification yields the same ids.
     */
    private void alertmanager(Context ctx) {
        if (!authorized(ctx)) {
            ctx.header("WWW-Authenticate", "Bearer");
            reply(ctx, 401, "missing or wrong bearer token");
            return;
        }
        JsonNode payload = jsonObject(ctx);
        if (payload == null) {
            return;
        }
        JsonNode alerts = payload.path("alerts");
        if (!alerts.isArray() || alerts.isEmpty()) {
            reply(ctx, 400, "an Alertmanager notification needs a non-empty 'alerts' list");
            return;
        }
        String topic = names.ingest("alertmanager");
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (JsonNode alert : alerts) {
            String fingerprint = alert.path("fingerprint").asText("");
            if (fingerprint.isEmpty()) {
                fingerprint = fingerprint(alert.path("labels"));
            }
            String status = alert.path("status").asText(payload.path("status").asText("firing"));
            if (!(status.equals("firing") || status.equals("resolved"))) {
                reply(ctx, 400, "every alert needs a status of firing or resolved");
                return;
            }
            ObjectNode event = JSON.createObjectNode();
            event.put("id", "alertmanager-" + fingerprint + "-" + status + "-" + alert.path("startsAt").asText(""));
            event.put("type", "alert." + status);
            event.put("subject", fingerprint);
            String time = status.equals("resolved") ? alert.path("endsAt").asText(null) : alert.path("startsAt").asText(null);
            if (time != null && !time.startsWith("0001-")) {
                event.put("time", time);
            }
            JsonNode labels = alert.path("labels");
            if (labels.path("severity").isTextual()) {
                event.put("severity", labels.path("severity").asText());
            }
            event.set("labels", labels.isObject() ? labels : JSON.createObjectNode());
            event.set("annotations", alert.path("annotations").isObject() ? alert.path("annotations") : JSON.createObjectNode());
            event.put("alertname", labels.path("alertname").asText(null));
            event.put("status", status);
            event.set("startsAt", alert.path("startsAt"));
            event.set("endsAt", alert.path("endsAt"));
            event.set("generatorURL", alert.path("generatorURL"));
            event.set("receiver", payload.path("receiver"));
            event.set("groupKey", payload.path("groupKey"));
            event.set("externalURL", payload.path("externalURL"));
            records.add(ingestRecord(topic, fingerprint, event, ContentTypes.JSON));
        }
        produce(ctx, topic, records);
    }

    /**
     * The fingerprint of an alert that has none (Alertmanager before 0.19 sent none): the first 16 hex digits of the
     * SHA-256 of its labels sorted by name, each as name, 0xff, value, 0xff. Stable across deliveries and processes,
     * and the same label set always gives the same fingerprint; it is not Alertmanager's own hash.
     */
    static String fingerprint(JsonNode labels) {
        java.util.TreeMap<String, String> sorted = new java.util.TreeMap<>();
        if (labels.isObject()) {
            labels.fields().forEachRemaining(e -> sorted.put(e.getKey(), e.getValue().asText()));
        }
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sorted.forEach((name, value) -> {
                sha.update(name.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0xff);
                sha.update(value.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0xff);
            });
            return java.util.HexFormat.of().formatHex(sha.digest(), 0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by the Java platform", e);
        }
    }

    /**
     * GitHub webhooks, verified with X-Hub-Signature-256 (HMAC-SHA256 of the body with the configured secret, compared
     * in constant time): a CloudEvent with the delivery id as id, so redeliveries are recognisable, type
     * {@code github.<event>[.<action>]}, subject the repository, and the payload as data.
     */
    private void github(Context ctx) {
        String secret = config.githubSecret();
        if (secret == null) {
            reply(ctx, 404, "the GitHub endpoint is off; set github.webhook.secret to turn it on");
            return;
        }
        byte[] body = bodies.read(ctx);
        String signature = ctx.header("X-Hub-Signature-256");
        if (signature == null || !signature.startsWith("sha256=")) {
            reply(ctx, 401, "missing X-Hub-Signature-256");
            return;
        }
        if (!signatureMatches(secret, body, signature)) {
            reply(ctx, 401, "X-Hub-Signature-256 does not match the body");
            return;
        }
        String kind = ctx.header("X-GitHub-Event");
        String delivery = ctx.header("X-GitHub-Delivery");
        if (kind == null || delivery == null || !GITHUB_EVENT.matcher(kind).matches()) {
            reply(ctx, 400, "missing or invalid X-GitHub-Event or X-GitHub-Delivery");
            return;
        }
        JsonNode payload = jsonObject(ctx);
        if (payload == null) {
            return;
        }
        String action = payload.path("action").isTextual() ? payload.path("action").asText() : null;
        ObjectNode event = JSON.createObjectNode()
            .put("specversion", "1.0")
            .put("id", delivery)
            .put("source", "github")
            .put("type", "github." + kind + (action == null ? "" : "." + action))
            .put("datacontenttype", ContentTypes.JSON);
        String subject = githubSubject(payload);
        if (subject != null) {
            event.put("subject", subject);
        }
        event.set("data", payload);
        String topic = names.ingest("github");
        produce(ctx, topic, List.of(ingestRecord(topic, subject, event, ContentTypes.CLOUDEVENTS_JSON)));
    }

    /**
     * What a GitHub delivery is about: the repository ({@code owner/name}); for events without one (organization,
     * installation, sponsorship, marketplace, membership, ...) the organization's login, else the installation
     * account's login, else the sender's login; none when the payload has none of these.
     */
    static String githubSubject(JsonNode payload) {
        for (JsonNode candidate : List.of(payload.path("repository").path("full_name"), payload.path("organization").path("login"),
                payload.path("installation").path("account").path("login"), payload.path("sender").path("login"))) {
            if (candidate.isTextual() && !candidate.asText().isEmpty()) {
                return candidate.asText();
            }
        }
        return null;
    }

    /** Whether {@code signature} is {@code sha256=<hex HMAC-SHA256 of body>} under {@code secret}, compared in constant time. */
    static boolean signatureMatches(String secret, byte[] body, String signature) {
        if (signature == null) {
            return false;
        }
        byte[] expected;
        try {
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new javax.crypto.spec.SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            expected = ("sha256=" + java.util.HexFormat.of().formatHex(mac.doFinal(body))).getBytes(StandardCharsets.UTF_8);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is required by the Java platform", e);
        }
        return MessageDigest.isEqual(expected, signature.strip().toLowerCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8));
    }

    private JsonNode jsonObject(Context ctx) {
        Optional<JsonNode> json = readJson(ctx, bodies.read(ctx));
        if (json.isPresent() && !json.get().isObject()) {
            reply(ctx, 400, "expected a JSON object");
            return null;
        }
        return json.orElse(null);
    }

    /** The body as JSON; empty after answering 400 with the reason when it is not JSON (or empty). */
    private static Optional<JsonNode> readJson(Context ctx, byte[] body) {
        try {
            JsonNode json = JSON.readTree(body);
            if (json == null || json.isMissingNode()) {
                reply(ctx, 400, "invalid JSON: the body is empty");
                return Optional.empty();
            }
            return Optional.of(json);
        } catch (java.io.IOException e) {
            reply(ctx, 400, "invalid JSON: " + (e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
            return Optional.empty();
        }
    }

    /** An ingest record keyed by the event's subject (none: the producer spreads them), with its content type. */
    private static ProducerRecord<byte[], byte[]> ingestRecord(String topic, String subject, byte[] body, String contentType) {
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, null,
            subject == null ? null : subject.getBytes(StandardCharsets.UTF_8), body);
        record.headers().add(new RecordHeader(ContentTypes.HEADER, contentType.getBytes(StandardCharsets.UTF_8)));
        return record;
    }

    private static ProducerRecord<byte[], byte[]> ingestRecord(String topic, String subject, JsonNode event, String contentType) {
        return ingestRecord(topic, subject, event.toString().getBytes(StandardCharsets.UTF_8), contentType);
    }

    /** Sends the records and answers 202 once Kafka acknowledged all of them, 503 with Retry-After if it did not. */
    private void produce(Context ctx, String topic, List<ProducerRecord<byte[], byte[]>> records) {
        Optional<String> missing = ensureTopic(topic);
        if (missing.isPresent()) {
            reply(ctx, missing.get().startsWith("unknown") ? 404 : 503, missing.get());
            return;
        }
        List<CompletableFuture<RecordMetadata>> acks = new ArrayList<>();
        long sendStarted = System.nanoTime();
        for (ProducerRecord<byte[], byte[]> record : records) {
            CompletableFuture<RecordMetadata> acked = new CompletableFuture<>();
            try {
                producer.send(record, (metadata, error) -> {
                    if (error != null) {
                        acked.completeExceptionally(error);
                    } else {
                        acked.complete(metadata);
                    }
                });
            } catch (RuntimeException e) {
                acked.completeExceptionally(e);
            }
            acks.add(acked);
        }
        ctx.future(() -> CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).handle((ignored, error) -> {
            io.micrometer.core.instrument.Timer.builder("reflex.webhook.ack").tag("outcome", error == null ? "acknowledged" : "failed")
                .description("From a request's arrival to Kafka's acknowledgement of its event").publishPercentileHistogram()
                .minimumExpectedValue(java.time.Duration.ofMillis(1)).maximumExpectedValue(java.time.Duration.ofSeconds(30)).register(metrics)
                .record(System.nanoTime() - sendStarted, java.util.concurrent.TimeUnit.NANOSECONDS);
            kafkaProblem = error == null ? null : "Kafka did not acknowledge the last event: " + error.getMessage();
            if (error == null) {
                metrics.counter("reflex.webhook.events.accepted", "source", names.sourceOf(topic)).increment(acks.size());
                RecordMetadata last = acks.get(acks.size() - 1).join();
                ObjectNode answer = JSON.createObjectNode().put("accepted", acks.size()).put("topic", last.topic())
                    .put("partition", last.partition()).put("offset", last.offset());
                ctx.status(202).contentType("application/json").result(answer.toString());
            } else {
                Throwable cause = error instanceof java.util.concurrent.CompletionException ? error.getCause() : error;
                LOG.warn("event for {} not accepted: {}", topic, cause.toString());
                ctx.header("Retry-After", "5");
                reply(ctx, cause instanceof RetriableException || cause instanceof org.apache.kafka.common.errors.TimeoutException ? 503 : 500,
                    "Kafka did not acknowledge the event (" + cause.getClass().getSimpleName() + "); retry later");
            }
            return null;
        }));
    }

    private Optional<String> ensureTopic(String topic) {
        if (knownTopics.contains(topic)) {
            return Optional.empty();
        }
        try {
            if (config.getBoolean(WebhookConfig.CREATE_TOPICS_CONFIG)) {
                new TopicAdmin(admin, Optional.empty(), Optional.empty(), 10_000).ensure(List.of(new TopicSpec(topic, false)));
            } else if (!admin.listTopics().names().get(10, TimeUnit.SECONDS).contains(topic)) {
                return Optional.of("unknown source: topic " + topic + " does not exist and this connector does not create topics");
            }
        } catch (Exception e) {
            LOG.warn("cannot check or create topic {}: {}", topic, e.getMessage());
            kafkaProblem = "cannot check or create topic " + topic + ": " + e.getMessage();
            return Optional.of("Kafka is unavailable (" + e.getMessage() + "); retry later");
        }
        knownTopics.add(topic);
        return Optional.empty();
    }

    private boolean authorized(Context ctx) {
        return dev.reflex.admin.BearerTokens.admits(config.token(), ctx.header("Authorization"));
    }

    private static void reply(Context ctx, int status, String error) {
        ctx.status(status).contentType("application/json").result(JSON.createObjectNode().put("error", error).toString());
    }


    @Override
    public void close() {
        app.stop();
        producerMetrics.close();
        producer.close(java.time.Duration.ofSeconds(10));
        admin.close(java.time.Duration.ofSeconds(5));
    }
}
