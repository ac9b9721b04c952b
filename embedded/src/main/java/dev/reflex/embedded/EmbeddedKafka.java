package dev.reflex.embedded;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;

/**
 * A real single-node Kafka broker and controller (KRaft) running inside this JVM.
 *
 * <p>The data directory is formatted on first start and reused afterwards, so topics survive a restart.
 * The quorum is a static single voter, which lets a restart use other ports.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private static final int NODE_ID = 1;

    private final KafkaRaftServer server;
    private final String bootstrapServers;
    private final Path dataDir;

    private EmbeddedKafka(KafkaRaftServer server, String bootstrapServers, Path dataDir) {
        this.server = server;
        this.bootstrapServers = bootstrapServers;
        this.dataDir = dataDir;
    }

    /**
     * Formats {@code dataDir} when it is new, starts the broker and waits until it accepts requests.
     *
     * @param port the client port on 127.0.0.1, 0 for any free port
     * @param controllerPort the controller port on 127.0.0.1, 0 for any free port
     */
    public static EmbeddedKafka start(Path dataDir, int port, int controllerPort, Duration timeout) {
        return start(dataDir, port, controllerPort, timeout, Map.of());
    }

    /**
     * As above, with broker settings over the defaults: more listeners (keep PLAINTEXT on the client port, which
     * {@link #bootstrapServers} names), an authorizer, SASL and TLS, for a cluster secured as in production.
     */
    public static EmbeddedKafka start(
            Path dataDir, int port, int controllerPort, Duration timeout, Map<String, String> overrides) {
        int clientPort = port == 0 ? Ports.freePort() : port;
        int quorumPort = controllerPort == 0 ? Ports.freePort() : controllerPort;
        Ports.requireFree(clientPort, "Kafka");
        Ports.requireFree(quorumPort, "Kafka controller");
        try {
            Files.createDirectories(dataDir);
            Path logDir = dataDir.resolve("log");
            Properties props = serverProperties(logDir, clientPort, quorumPort);
            props.putAll(overrides);
            if (!Files.exists(logDir.resolve("meta.properties"))) {
                format(dataDir, props);
            }
            KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
            server.startup();
            String bootstrap = "127.0.0.1:" + clientPort;
            EmbeddedKafka kafka = new EmbeddedKafka(server, bootstrap, dataDir);
            try {
                kafka.awaitReady(timeout);
            } catch (RuntimeException e) {
                kafka.close();
                throw e;
            }
            return kafka;
        } catch (IOException e) {
            throw new IllegalStateException(
                    "cannot prepare Kafka data directory " + dataDir + ": " + e.getMessage(), e);
        }
    }

    static Properties serverProperties(Path logDir, int clientPort, int controllerPort) {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", String.valueOf(NODE_ID));
        p.put("controller.quorum.voters", NODE_ID + "@127.0.0.1:" + controllerPort);
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + clientPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + clientPort);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT");
        p.put("log.dirs", logDir.toAbsolutePath().toString());
        // Like a production cluster: topics are created on purpose, never by a typo.
        p.put("auto.create.topics.enable", "false");
        p.put("num.partitions", "1");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "4");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "4");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        return p;
    }

    private static void format(Path dataDir, Properties props) throws IOException {
        Path configFile = dataDir.resolve("server.properties");
        try (OutputStream out = Files.newOutputStream(configFile)) {
            props.store(out, "written by reflex for formatting the embedded broker");
        }
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        int exit;
        try (PrintStream print = new PrintStream(output, true, StandardCharsets.UTF_8)) {
            exit = StorageTool.execute(
                    new String[] {"format", "-t", Uuid.randomUuid().toString(), "-c", configFile.toString()}, print);
        }
        if (exit != 0) {
            throw new IllegalStateException("formatting Kafka storage in " + dataDir + " failed: "
                    + output.toString(StandardCharsets.UTF_8).trim());
        }
    }

    private void awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        try (Admin admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000",
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000"))) {
            while (System.nanoTime() < deadline) {
                try {
                    if (!admin.describeCluster(new DescribeClusterOptions().timeoutMs(5000))
                            .nodes()
                            .get(5, TimeUnit.SECONDS)
                            .isEmpty()) {
                        return;
                    }
                } catch (Exception e) {
                    last = e;
                }
                sleep(100);
            }
        }
        throw new IllegalStateException("embedded Kafka at " + bootstrapServers + " did not become ready within "
                + timeout.toSeconds() + " s" + (last == null ? "" : ": " + last.getMessage()));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for Kafka", e);
        }
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public Path dataDir() {
        return dataDir;
    }

    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
    }
}
