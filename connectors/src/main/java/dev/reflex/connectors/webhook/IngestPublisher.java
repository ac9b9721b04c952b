package dev.reflex.connectors.webhook;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import dev.reflex.schemas.TopicAdmin;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.TopicSpec;

/**
 * The webhook connector's Kafka side: an idempotent producer with {@code acks=all}, ingest topics checked (or created)
 * once each, and what the last publish said of Kafka, for health. A publish completes once Kafka acknowledged every
 * record, or fails as a whole.
 */
final class IngestPublisher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(IngestPublisher.class);

    /** Why records were not published: the status to answer and the reason. */
    static final class NotPublished extends RuntimeException {
        final int status;

        NotPublished(int status, String reason) {
            super(reason);
            this.status = status;
        }
    }

    private final WebhookConfig config;
    private final TopicNames names;
    private final PrometheusMeterRegistry metrics;
    private final Admin admin;
    private final KafkaProducer<byte[], byte[]> producer;
    private final KafkaClientMetrics producerMetrics;
    private final Set<String> knownTopics = ConcurrentHashMap.newKeySet();
    /** Why the last attempt to publish failed, until one succeeds again; health reports it. */
    private volatile String problem;

    IngestPublisher(WebhookConfig config, PrometheusMeterRegistry metrics) {
        this.config = config;
        this.names = config.topicNames();
        this.metrics = metrics;
        this.admin = Admin.create(config.kafka()
                .client(
                        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000",
                        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000"));
        long timeout = config.getLong(WebhookConfig.PRODUCE_TIMEOUT_MS_CONFIG);
        this.producer = new KafkaProducer<>(
                config.kafka()
                        .client(
                                ProducerConfig.ACKS_CONFIG,
                                "all",
                                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                                true,
                                ProducerConfig.LINGER_MS_CONFIG,
                                1,
                                ProducerConfig.MAX_BLOCK_MS_CONFIG,
                                timeout,
                                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG,
                                (int) Math.min(timeout - 2, 10_000),
                                // the request is answered 503 after about webhook.produce.timeout.ms, as documented
                                // (the producer needs
                                // delivery.timeout.ms >= request.timeout.ms + linger.ms)
                                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
                                (int) timeout,
                                ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                                config.getInt(WebhookConfig.MAX_BODY_BYTES_CONFIG) + 64 * 1024),
                new ByteArraySerializer(),
                new ByteArraySerializer());
        this.producerMetrics = new KafkaClientMetrics(producer);
        producerMetrics.bindTo(metrics);
    }

    /** Fails with a one-line message when the brokers cannot be reached. */
    void requireReachable() {
        TopicAdmin.requireReachable(admin, config.kafka().toString(), 10_000);
    }

    /**
     * Sends the records; completes with the last record's place once Kafka acknowledged all of them, or exceptionally
     * with a {@link NotPublished}.
     */
    CompletableFuture<RecordMetadata> publish(String topic, List<ProducerRecord<byte[], byte[]>> records) {
        Optional<String> missing = ensureTopic(topic);
        if (missing.isPresent()) {
            return CompletableFuture.failedFuture(
                    new NotPublished(missing.get().startsWith("unknown") ? 404 : 503, missing.get()));
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
        return CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).handle((ignored, error) -> {
            Timer.builder("reflex.webhook.ack")
                    .tag("outcome", error == null ? "acknowledged" : "failed")
                    .description("From a request's arrival to Kafka's acknowledgement of its event")
                    .publishPercentileHistogram()
                    .minimumExpectedValue(Duration.ofMillis(1))
                    .maximumExpectedValue(Duration.ofSeconds(30))
                    .register(metrics)
                    .record(System.nanoTime() - sendStarted, TimeUnit.NANOSECONDS);
            problem = error == null ? null : "Kafka did not acknowledge the last event: " + error.getMessage();
            if (error != null) {
                Throwable cause = error instanceof CompletionException ? error.getCause() : error;
                LOG.warn("event for {} not accepted: {}", topic, cause.toString());
                boolean retriable = cause instanceof RetriableException || cause instanceof TimeoutException;
                throw new NotPublished(
                        retriable ? 503 : 500,
                        "Kafka did not acknowledge the event ("
                                + cause.getClass().getSimpleName() + "); retry later");
            }
            metrics.counter("reflex.webhook.events.accepted", "source", names.sourceOf(topic))
                    .increment(acks.size());
            return acks.get(acks.size() - 1).join();
        });
    }

    private Optional<String> ensureTopic(String topic) {
        if (knownTopics.contains(topic)) {
            return Optional.empty();
        }
        try {
            if (config.getBoolean(WebhookConfig.CREATE_TOPICS_CONFIG)) {
                new TopicAdmin(admin, Optional.empty(), Optional.empty(), 10_000)
                        .ensure(List.of(new TopicSpec(topic, false)));
            } else if (!admin.listTopics().names().get(10, TimeUnit.SECONDS).contains(topic)) {
                return Optional.of(
                        "unknown source: topic " + topic + " does not exist and this connector does not create topics");
            }
        } catch (Exception e) {
            LOG.warn("cannot check or create topic {}: {}", topic, e.getMessage());
            problem = "cannot check or create topic " + topic + ": " + e.getMessage();
            return Optional.of("Kafka is unavailable (" + e.getMessage() + "); retry later");
        }
        knownTopics.add(topic);
        return Optional.empty();
    }

    /** Why events cannot be published now: the last failure, until Kafka answers again. */
    Optional<String> problem() {
        String seen = problem;
        if (seen != null) {
            try {
                admin.describeCluster().clusterId().get(2, TimeUnit.SECONDS);
                problem = null;
                seen = null;
            } catch (Exception e) {
                // still unreachable: report the failure that was seen
            }
        }
        return Optional.ofNullable(seen);
    }

    @Override
    public void close() {
        producerMetrics.close();
        producer.close(Duration.ofSeconds(10));
        admin.close(Duration.ofSeconds(5));
    }
}
