package dev.reflex.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.errors.GroupIdNotFoundException;

import dev.reflex.embedded.ApicurioRegistry;
import dev.reflex.embedded.EmbeddedKafka;
import dev.reflex.embedded.Ports;
import dev.reflex.engine.EngineConfig;
import dev.reflex.schemas.TopicAdmin;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.TopicSpec;
import dev.reflex.schemas.registry.SchemaRegistryClient;
import dev.reflex.schemas.serde.ReflexSerdes;

/**
 * A broker and a registry for the fault runs, on fixed loopback ports and with durable storage, so either can be
 * stopped and started again in the middle of a run and clients reconnect to the same addresses.
 */
final class FaultCluster implements AutoCloseable {
    final Path dir;
    private final int kafkaPort = Ports.freePort();
    private final int controllerPort = Ports.freePort();
    private final int registryPort = Ports.freePort();
    private EmbeddedKafka kafka;
    private ApicurioRegistry registry;
    private Admin admin;
    private volatile TopicNames lastTopics;

    private FaultCluster(Path dir) {
        this.dir = dir;
    }

    static FaultCluster start() throws Exception {
        FaultCluster cluster = new FaultCluster(Files.createTempDirectory("reflex-faults"));
        cluster.startKafka();
        cluster.startRegistry();
        return cluster;
    }

    synchronized void startKafka() {
        kafka = EmbeddedKafka.start(dir.resolve("kafka"), kafkaPort, controllerPort, Duration.ofSeconds(60));
        admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()));
    }

    synchronized void stopKafka() {
        admin.close();
        kafka.close();
    }

    synchronized void startRegistry() {
        registry = ApicurioRegistry.start(
                dir.resolve("registry"),
                registryPort,
                Optional.of(dir.resolve("registry-db")),
                Duration.ofSeconds(120));
    }

    synchronized void stopRegistry() {
        registry.close();
    }

    String bootstrap() {
        return "127.0.0.1:" + kafkaPort;
    }

    String registryUrl() {
        return "http://127.0.0.1:" + registryPort + "/apis/ccompat/v7";
    }

    /** The topics of the run that made topics last. */
    Optional<TopicNames> lastTopics() {
        return Optional.ofNullable(lastTopics);
    }

    synchronized Admin admin() {
        return admin;
    }

    ReflexSerdes serdes() {
        return new ReflexSerdes(new SchemaRegistryClient(registryUrl()), true);
    }

    /** A fresh set of topics (4 partitions each) under a new prefix, with the action topics of {@code systems}. */
    TopicNames topics(String... systems) throws Exception {
        TopicNames names = new TopicNames("f" + UUID.randomUUID().toString().substring(0, 6) + ".");
        lastTopics = names;
        List<TopicSpec> specs = new ArrayList<>(names.fixed());
        for (String system : systems) {
            specs.add(new TopicSpec(names.actions(system), false));
        }
        new TopicAdmin(admin(), Optional.of(4), Optional.empty(), 30_000).ensure(specs);
        return names;
    }

    /**
     * Waits until {@code instances} engine processes are members of {@code group} and it is stable: the tasks are assigned,
     * so what a run sends next is read at once (a run that sends while the engines still start sees its deadlines, due
     * from the events' times, come due before they are read).
     */
    void awaitEngines(String group, int instances, Duration timeout) throws Exception {
        long until = System.currentTimeMillis() + timeout.toMillis();
        String seen = "no description";
        while (System.currentTimeMillis() < until) {
            ConsumerGroupDescription description;
            try {
                description = admin().describeConsumerGroups(List.of(group))
                        .all()
                        .get()
                        .get(group);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof GroupIdNotFoundException)) {
                    throw e;
                }
                seen = "no group yet";
                Thread.sleep(250);
                continue;
            }
            long processes = description.members().stream()
                    .filter(m -> !m.assignment().topicPartitions().isEmpty())
                    .map(m -> m.clientId().replaceFirst("-StreamThread-.*", ""))
                    .distinct()
                    .count();
            seen = description.groupState() + " with " + processes + " engines assigned";
            if (description.groupState() == GroupState.STABLE && processes >= instances) {
                return;
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("the engines' group " + group + " was not stable with " + instances
                + " engines within " + timeout.toSeconds() + " s: " + seen);
    }

    void createTopic(String topic) throws Exception {
        new TopicAdmin(admin(), Optional.of(4), Optional.empty(), 30_000).ensure(List.of(new TopicSpec(topic, false)));
    }

    /** Settings of an engine in this process for the application under {@code names}. */
    Map<String, Object> engineSettings(TopicNames names) {
        Map<String, Object> settings = new HashMap<>();
        settings.put(EngineConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        settings.put(EngineConfig.SCHEMA_REGISTRY_URL_CONFIG, registryUrl());
        settings.put(EngineConfig.TOPIC_PREFIX_CONFIG, names.prefix());
        settings.put(EngineConfig.APPLICATION_ID_CONFIG, names.prefix() + "engine");
        settings.put(
                EngineConfig.STATE_DIR_CONFIG,
                dir.resolve("state-" + names.prefix()).toString());
        return settings;
    }

    /**
     * Arguments of {@code reflex engine} for one instance of the application under {@code names}, without the timeline:
     * the runs that check correlation, flows and actors leave two cores to what they check.
     */
    List<String> engineArgs(TopicNames names, String instance) {
        return engineArgs(names, instance, false);
    }

    /** Arguments of {@code reflex engine} for one instance, with its timeline when {@code timeline}. */
    List<String> engineArgs(TopicNames names, String instance, boolean timeline) {
        return List.of(
                "engine",
                "--bootstrap-servers",
                bootstrap(),
                "--schema-registry-url",
                registryUrl(),
                "--application-id",
                names.prefix() + "engine",
                "--set",
                "reflex.topic.prefix=" + names.prefix(),
                "--set",
                "reflex.instance.id=" + instance,
                "--set",
                "state.dir=" + dir.resolve("state-" + names.prefix() + instance),
                "--set",
                "consumer.auto.offset.reset=earliest",
                // several instances on one machine: each API on a free port
                "--set",
                "reflex.api.port=0",
                // a killed instance is noticed after the session timeout: 10 s instead of 45 s keeps the runs short
                "--set",
                "consumer.session.timeout.ms=10000",
                "--set",
                "reflex.timeline.enabled=" + timeline);
    }

    /**
     * Arguments of {@code reflex act http} for {@code system}'s actions under {@code names}, calling {@code baseUrl},
     * with further settings ({@code name=value}).
     */
    List<String> httpActorArgs(TopicNames names, String system, String baseUrl, String... settings) {
        List<String> args = new ArrayList<>(List.of(
                "act",
                "http",
                "--system",
                system,
                "--bootstrap-servers",
                bootstrap(),
                "--schema-registry-url",
                registryUrl(),
                "--topic-prefix",
                names.prefix(),
                "--set",
                "http.base.url=" + baseUrl));
        for (String setting : settings) {
            args.add("--set");
            args.add(setting);
        }
        return args;
    }

    @Override
    public synchronized void close() {
        try {
            admin.close();
        } catch (RuntimeException ignored) {
            // already closed by a broker restart that failed
        }
        registry.close();
        kafka.close();
    }
}
