package dev.reflex.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.apache.kafka.clients.admin.Admin;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.output.OutputFrame;
import org.testcontainers.utility.DockerImageName;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.ContainerNetwork;
import com.github.dockerjava.api.model.Network;

import dev.reflex.embedded.testing.Images;
import dev.reflex.schemas.TopicAdmin;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.TopicSpec;
import dev.reflex.schemas.registry.SchemaRegistryClient;
import dev.reflex.schemas.serde.ReflexSerdes;

/**
 * A three-node KRaft cluster in containers (each node broker and controller, so three controllers), the schema registry
 * and the engines, on a Docker network of their own with fixed addresses: this process reaches every container at its
 * address, and a container keeps its address when it is killed and started again or cut off and connected again. Topics
 * are replicated three times with {@code min.insync.replicas} 2. Images are built locally ({@link Images}); containers
 * are run through Testcontainers, without its reaper (whose image cannot be pulled here): containers and the network are
 * labelled with this process's id and removed on close, and those of a process that no longer runs on the next start.
 */
final class ContainerCluster implements AutoCloseable {
    static final int BROKERS = 3;
    private static final String LABEL = "dev.reflex.fault-cluster";
    private static final String CLUSTER_ID = "q1Sh-9_ISia_zwGINzRvyQ";
    /** The engine's API port, where its health is. */
    private static final int API_PORT = 8095;

    final Path dir;
    private final DockerClient docker = DockerClientFactory.instance().client();
    private final String network;
    private final String subnet;
    private final Map<Integer, GenericContainer<?>> brokers = new LinkedHashMap<>();
    private final Map<String, GenericContainer<?>> engines = new LinkedHashMap<>();
    private final Map<String, String> addresses = new HashMap<>();
    private final GenericContainer<?> registry;
    private final Admin admin;
    /** The engines' API token, one for all: they send it to each other. */
    private final String apiToken = UUID.randomUUID().toString();

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private ContainerCluster(Path dir, String network, String subnet) {
        this.dir = dir;
        this.network = network;
        this.subnet = subnet;
        String voters = IntStream.rangeClosed(1, BROKERS)
                .mapToObj(n -> n + "@" + address("kafka-" + n) + ":9093")
                .collect(Collectors.joining(","));
        for (int n = 1; n <= BROKERS; n++) {
            brokers.put(n, broker(n, voters));
        }
        registry = container(Images.REGISTRY, "registry");
        admin = Admin.create(Map.of(
                "bootstrap.servers", bootstrap(), "request.timeout.ms", 10_000, "default.api.timeout.ms", 30_000));
    }

    /** Builds the images when needed and starts the brokers and the registry; returns when all three brokers serve. */
    static ContainerCluster start() throws Exception {
        if (!"true".equalsIgnoreCase(System.getenv("TESTCONTAINERS_RYUK_DISABLED"))) {
            throw new IllegalStateException(
                    "the cluster run needs TESTCONTAINERS_RYUK_DISABLED=true in its environment (Testcontainers' reaper "
                            + "image cannot be pulled here; the run removes its own containers): bench/run-faults and the build set it");
        }
        Images.buildWithoutDemo();
        removeLeftovers();
        Path dir = Files.createTempDirectory("reflex-cluster-faults");
        DockerClient docker = DockerClientFactory.instance().client();
        // a /24 of its own for the run, so that every container's address is known before it starts
        for (int attempt = 0; ; attempt++) {
            String subnet = "172.31." + ThreadLocalRandom.current().nextInt(1, 250) + ".";
            try {
                String id = docker.createNetworkCmd()
                        .withName(
                                "reflex-faults-" + UUID.randomUUID().toString().substring(0, 8))
                        .withLabels(Map.of(
                                LABEL, Long.toString(ProcessHandle.current().pid())))
                        .withIpam(new Network.Ipam().withConfig(new Network.Ipam.Config().withSubnet(subnet + "0/24")))
                        .exec()
                        .getId();
                ContainerCluster cluster = new ContainerCluster(dir, id, subnet);
                cluster.startAll();
                return cluster;
            } catch (DockerException e) {
                if (attempt >= 5 || !String.valueOf(e.getMessage()).contains("overlap")) {
                    throw e;
                }
            }
        }
    }

    private void startAll() throws InterruptedException {
        brokers.values().forEach(GenericContainer::start);
        registry.start();
        long until = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (true) {
            try {
                if (admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).size() == BROKERS && registryAnswers()) {
                    return;
                }
            } catch (Exception e) {
                if (System.nanoTime() > until) {
                    throw new IllegalStateException("the cluster did not come up within 3 minutes; logs in " + dir, e);
                }
            }
            if (System.nanoTime() > until) {
                throw new IllegalStateException("the cluster did not come up within 3 minutes; logs in " + dir);
            }
            Thread.sleep(500);
        }
    }

    private boolean registryAnswers() {
        try {
            return http.send(
                                    HttpRequest.newBuilder(URI.create(registryUrl() + "/subjects"))
                                            .timeout(Duration.ofSeconds(2))
                                            .GET()
                                            .build(),
                                    HttpResponse.BodyHandlers.discarding())
                            .statusCode()
                    == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private GenericContainer<?> broker(int n, String voters) {
        GenericContainer<?> broker = container(Images.KAFKA, "kafka-" + n);
        Map<String, String> env = new LinkedHashMap<>();
        env.put("KAFKA_NODE_ID", Integer.toString(n));
        env.put("KAFKA_PROCESS_ROLES", "broker,controller");
        env.put("KAFKA_LISTENERS", "PLAINTEXT://:9092,CONTROLLER://:9093");
        env.put("KAFKA_ADVERTISED_LISTENERS", "PLAINTEXT://" + address("kafka-" + n) + ":9092");
        env.put("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER");
        env.put("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT");
        env.put("KAFKA_INTER_BROKER_LISTENER_NAME", "PLAINTEXT");
        env.put("KAFKA_CONTROLLER_QUORUM_VOTERS", voters);
        env.put("KAFKA_LOG_DIRS", "/var/lib/kafka/data");
        env.put("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false");
        env.put("KAFKA_DEFAULT_REPLICATION_FACTOR", "3");
        env.put("KAFKA_MIN_INSYNC_REPLICAS", "2");
        env.put("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "3");
        env.put("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "3");
        env.put("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "2");
        env.put("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR", "3");
        env.put("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR", "2");
        env.put("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0");
        // a broker cut off or killed leaves the ISR within 10 s rather than 30
        env.put("KAFKA_REPLICA_LAG_TIME_MAX_MS", "10000");
        env.put("KAFKA_BROKER_SESSION_TIMEOUT_MS", "6000");
        env.put("KAFKA_BROKER_HEARTBEAT_INTERVAL_MS", "1000");
        env.put("CLUSTER_ID", CLUSTER_ID);
        return broker.withEnv(env);
    }

    private GenericContainer<?> container(String image, String name) {
        String ip = address(name);
        GenericContainer<?> container = new GenericContainer<>(DockerImageName.parse(image))
                .withLabel(LABEL, Long.toString(ProcessHandle.current().pid()))
                .withCreateContainerCmdModifier(cmd -> {
                    cmd.withName(name + "-" + network.substring(0, 8))
                            .withHostName(name)
                            .withIpv4Address(ip);
                    cmd.getHostConfig().withNetworkMode(network);
                })
                .withStartupTimeout(Duration.ofMinutes(2));
        Path log = dir.resolve(name + ".log");
        container.withLogConsumer(frame -> append(log, frame));
        return container;
    }

    private static void append(Path log, OutputFrame frame) {
        try {
            Files.writeString(
                    log,
                    frame.getUtf8String(),
                    StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The fixed address of the container named {@code name} on the run's network. */
    private String address(String name) {
        return addresses.computeIfAbsent(name, k -> subnet + (10 + addresses.size()));
    }

    String bootstrap() {
        return IntStream.rangeClosed(1, BROKERS)
                .mapToObj(n -> address("kafka-" + n) + ":9092")
                .collect(Collectors.joining(","));
    }

    String registryUrl() {
        return "http://" + address("registry") + ":8080/apis/ccompat/v7";
    }

    Admin admin() {
        return admin;
    }

    ReflexSerdes serdes() {
        return new ReflexSerdes(new SchemaRegistryClient(registryUrl()), true);
    }

    /** A fresh set of topics (6 partitions, replicated three times) under a new prefix, with the action topics of {@code systems}. */
    TopicNames topics(String... systems) throws Exception {
        TopicNames names = new TopicNames("c" + UUID.randomUUID().toString().substring(0, 6) + ".");
        List<TopicSpec> specs = new ArrayList<>(names.fixed());
        for (String system : systems) {
            specs.add(new TopicSpec(names.actions(system), false));
        }
        new TopicAdmin(admin, Optional.of(6), Optional.empty(), 60_000).ensure(specs);
        return names;
    }

    void createTopic(String topic) throws Exception {
        new TopicAdmin(admin, Optional.of(6), Optional.empty(), 60_000).ensure(List.of(new TopicSpec(topic, false)));
    }

    /** Starts engine {@code instance} of the application under {@code names} in a container, its timeline on. */
    void startEngine(TopicNames names, String instance, List<String> extraSettings) {
        List<String> command = new ArrayList<>(List.of(
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
                "consumer.auto.offset.reset=earliest",
                "--set",
                "consumer.session.timeout.ms=10000",
                "--set",
                "reflex.timeline.enabled=true"));
        for (String setting : extraSettings) {
            command.addAll(List.of("--set", setting));
        }
        GenericContainer<?> engine = container(Images.REFLEX, instance)
                .withEnv("REFLEX_API_HOST", "0.0.0.0")
                .withEnv("REFLEX_API_TOKEN", apiToken)
                .withEnv("REFLEX_API_ADVERTISED_HOST", address(instance))
                .withEnv("JAVA_TOOL_OPTIONS", "-Xmx768m")
                .withCommand(command.toArray(String[]::new));
        engines.put(instance, engine);
        engine.start();
    }

    Collection<String> engines() {
        return engines.keySet();
    }

    /** Whether engine {@code instance} says it is healthy (its Kafka Streams RUNNING). */
    boolean engineHealthy(String instance) {
        try {
            return http.send(
                                    HttpRequest.newBuilder(URI.create("http://" + address(instance) + ":" + API_PORT
                                                    + "/api/health/ready"))
                                            .timeout(Duration.ofSeconds(2))
                                            .GET()
                                            .build(),
                                    HttpResponse.BodyHandlers.discarding())
                            .statusCode()
                    == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    String engineLog(String instance) {
        try {
            Path log = dir.resolve(instance + ".log");
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "";
        }
    }

    // ---- faults ----

    /** SIGKILL to broker {@code n}'s container; its data stays in the container. */
    void killBroker(int n) {
        docker.killContainerCmd(brokers.get(n).getContainerId())
                .withSignal("KILL")
                .exec();
    }

    /** SIGTERM and up to 30 s for broker {@code n} to stop by itself (a controlled shutdown), then SIGKILL. */
    void stopBroker(int n) {
        docker.stopContainerCmd(brokers.get(n).getContainerId()).withTimeout(30).exec();
    }

    /** Starts broker {@code n}'s container again, at the same address and on the same data. */
    void startBroker(int n) {
        docker.startContainerCmd(brokers.get(n).getContainerId()).exec();
        brokers.get(n).followOutput(frame -> append(dir.resolve("kafka-" + n + ".log"), frame));
    }

    /** Cuts broker {@code n} or engine {@code name} off the network: no traffic in or out until {@link #reconnect}. */
    void disconnect(String name) {
        docker.disconnectFromNetworkCmd()
                .withNetworkId(network)
                .withContainerId(containerOf(name).getContainerId())
                .withForce(true)
                .exec();
    }

    void reconnect(String name) {
        docker.connectToNetworkCmd()
                .withNetworkId(network)
                .withContainerId(containerOf(name).getContainerId())
                .withContainerNetwork(new ContainerNetwork()
                        .withIpamConfig(new ContainerNetwork.Ipam().withIpv4Address(address(name)))
                        .withAliases(name))
                .exec();
    }

    private GenericContainer<?> containerOf(String name) {
        if (name.startsWith("kafka-")) {
            return brokers.get(Integer.parseInt(name.substring(6)));
        }
        return Optional.ofNullable(engines.get(name))
                .orElseThrow(() -> new IllegalArgumentException("no container " + name));
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(5));
        List<GenericContainer<?>> all = new ArrayList<>(engines.values());
        all.addAll(brokers.values());
        all.add(registry);
        for (GenericContainer<?> container : all) {
            try {
                container.stop();
            } catch (RuntimeException e) {
                // removed already
            }
        }
        try {
            docker.removeNetworkCmd(network).exec();
        } catch (RuntimeException e) {
            // removed already
        }
    }

    /** Containers and networks of earlier runs whose process no longer runs (killed before it could remove them). */
    private static void removeLeftovers() {
        DockerClient docker = DockerClientFactory.instance().client();
        for (Container container : docker.listContainersCmd()
                .withShowAll(true)
                .withLabelFilter(List.of(LABEL))
                .exec()) {
            if (!alive(container.getLabels().get(LABEL))) {
                docker.removeContainerCmd(container.getId()).withForce(true).exec();
            }
        }
        for (Network network : docker.listNetworksCmd().exec()) {
            if (network.getLabels() != null
                    && network.getLabels().containsKey(LABEL)
                    && !alive(network.getLabels().get(LABEL))) {
                docker.removeNetworkCmd(network.getId()).exec();
            }
        }
    }

    private static boolean alive(String pid) {
        try {
            return ProcessHandle.of(Long.parseLong(pid))
                    .map(ProcessHandle::isAlive)
                    .orElse(false);
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
