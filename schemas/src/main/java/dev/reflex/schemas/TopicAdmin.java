package dev.reflex.schemas;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.TopicExistsException;

/** Creates the topics Reflex needs, leaving existing ones as they are. */
public final class TopicAdmin {
    private final Admin admin;
    private final Optional<Integer> partitions;
    private final Optional<Short> replicationFactor;
    private final long timeoutMs;

    /**
     * @param partitions partitions for new topics; empty for the broker's default
     * @param replicationFactor replication factor for new topics; empty for the broker's default
     */
    public TopicAdmin(Admin admin, Optional<Integer> partitions, Optional<Short> replicationFactor, long timeoutMs) {
        this.admin = admin;
        this.partitions = partitions;
        this.replicationFactor = replicationFactor;
        this.timeoutMs = timeoutMs;
    }

    /** The one-line error for an unreachable cluster, shared by every command. */
    public static final class KafkaUnreachableException extends RuntimeException {
        public KafkaUnreachableException(String bootstrapServers, long timeoutMs, Throwable cause) {
            super(
                    "cannot reach Kafka at " + bootstrapServers + " within " + (timeoutMs / 1000) + " s; check "
                            + "--bootstrap-servers and that the brokers are up",
                    cause);
        }

        KafkaUnreachableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Fails with {@link KafkaUnreachableException} unless the cluster answers within the timeout. */
    public static void requireReachable(Admin admin, String bootstrapServers, long timeoutMs) {
        try {
            admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) timeoutMs))
                    .nodes()
                    .get(timeoutMs + 2000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaUnreachableException(bootstrapServers, timeoutMs, e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof AuthenticationException) {
                throw new KafkaUnreachableException(
                        "Kafka at " + bootstrapServers + " refused the login ("
                                + e.getCause().getMessage()
                                + "); check security.protocol, sasl.mechanism and the credentials in sasl.jaas.config",
                        e.getCause());
            }
            throw new KafkaUnreachableException(bootstrapServers, timeoutMs, e);
        } catch (TimeoutException e) {
            throw new KafkaUnreachableException(bootstrapServers, timeoutMs, e);
        }
    }

    /** The principal may not create (or see) a topic it needs; the message says which and where to look. */
    public static final class NotAuthorizedException extends RuntimeException {
        public NotAuthorizedException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Creates whichever of {@code specs} do not exist yet and returns their names; a topic the principal may neither
     * see nor create is a {@link NotAuthorizedException}.
     */
    public List<String> ensure(Collection<TopicSpec> specs) {
        try {
            Set<String> existing = admin.listTopics().names().get(timeoutMs, TimeUnit.MILLISECONDS);
            List<NewTopic> missing = new ArrayList<>();
            for (TopicSpec spec : specs) {
                if (!existing.contains(spec.name())) {
                    NewTopic topic = new NewTopic(spec.name(), partitions, replicationFactor);
                    if (spec.compacted()) {
                        topic.configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
                    } else if (spec.retentionMs() != 0) {
                        topic.configs(Map.of(TopicConfig.RETENTION_MS_CONFIG, Long.toString(spec.retentionMs())));
                    }
                    missing.add(topic);
                }
            }
            List<String> created = new ArrayList<>();
            if (missing.isEmpty()) {
                return created;
            }
            var results = admin.createTopics(missing).values();
            for (var entry : results.entrySet()) {
                try {
                    entry.getValue().get(timeoutMs, TimeUnit.MILLISECONDS);
                    created.add(entry.getKey());
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof AuthorizationException) {
                        throw new NotAuthorizedException(
                                "not authorized to create topic " + entry.getKey() + " (it is missing, or "
                                        + "this principal may not see it): create it, or allow the principal what 'reflex acls' prints for "
                                        + "this component",
                                e.getCause());
                    }
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException(
                                "cannot create topic " + entry.getKey() + ": "
                                        + e.getCause().getMessage(),
                                e.getCause());
                    }
                }
            }
            return created;
        } catch (TimeoutException e) {
            throw new IllegalStateException(
                    "Kafka did not answer within " + timeoutMs + " ms while creating topics", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(
                    "cannot list topics: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        }
    }
}
