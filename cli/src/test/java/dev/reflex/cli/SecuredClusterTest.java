package dev.reflex.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.reflex.actors.ActorRunner;
import dev.reflex.actors.Execution;
import dev.reflex.connectors.webhook.WebhookConfig;
import dev.reflex.connectors.webhook.WebhookConnector;
import dev.reflex.embedded.testing.TestServices;
import dev.reflex.embedded.testing.TopicRecords;
import dev.reflex.engine.Engine;
import dev.reflex.engine.EngineConfig;
import dev.reflex.engine.EngineProcess;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.KafkaConnection;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.registry.SchemaRegistryClient;
import dev.reflex.schemas.serde.ReflexSerdes;

/**
 * Reflex on a cluster secured as in production (SASL SCRAM-SHA-512 over TLS, StandardAuthorizer), each component
 * with exactly the ACLs {@code reflex acls --apply} creates for it: the tour's event goes through the connector, the
 * engine and an actor, and its result is decided; and each principal is refused what it was not given, in bounded time.
 */
@Tag("integration")
class SecuredClusterTest {
    private static final TopicNames NAMES = new TopicNames("sec.");
    private static final String APPLICATION_ID = "sec-engine";
    private static final Map<String, String> USERS = Map.of(
            "engine",
            "engine-pw",
            "connector",
            "connector-pw",
            "ops-actor",
            "ops-pw",
            "rules",
            "rules-pw",
            "nobody",
            "nobody-pw");

    @TempDir
    static Path dir;

    private static SecuredKafka kafka;

    @BeforeAll
    static void start() throws Exception {
        kafka = SecuredKafka.start(dir);
        kafka.createUsers(USERS);
        for (String[] acl : List.of(
                new String[] {"engine", "--component", "engine", "--application-id", APPLICATION_ID},
                new String[] {"connector", "--component", "connector"},
                new String[] {"ops-actor", "--component", "actor", "--system", "ops"},
                new String[] {"rules", "--component", "rules"})) {
            List<String> args = new ArrayList<>(List.of(
                    "acls",
                    "--principal",
                    "User:" + acl[0],
                    "--apply",
                    "--topic-prefix",
                    NAMES.prefix(),
                    "--bootstrap-servers",
                    kafka.adminBootstrap()));
            args.addAll(List.of(acl).subList(1, acl.length));
            Run run = run(args);
            assertThat(run.exit).as(run.err).isZero();
            assertThat(run.out).contains("applied");
        }
    }

    @AfterAll
    static void stop() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void eachComponentDoesItsJobWithItsAclsAndIsRefusedTheRest() throws Exception {
        Path rules = Files.createDirectories(dir.resolve("rules"));
        Files.writeString(rules.resolve("restart.yaml"), """
            id: restart-on-deploy-failure
            when:
              source: ci
              type: deploy.failed
            then:
              - system: ops
                action: restart
                target: ${event.subject}
            """);
        // rules apply, as the rules job's principal: creates the topics and publishes the rule
        Run apply = run(List.of(
                "rules",
                "apply",
                rules.toString(),
                "--bootstrap-servers",
                kafka.secureBootstrap(),
                "--kafka-config",
                kafka.clientConfigFile(dir, "rules", USERS.get("rules")).toString(),
                "--schema-registry-url",
                TestServices.registry().url(),
                "--topic-prefix",
                NAMES.prefix()));
        assertThat(apply.exit).as(apply.err).isZero();

        List<AutoCloseable> started = new ArrayList<>();
        try {
            EngineProcess engine = EngineProcess.start(engineSettings("engine"));
            started.add(engine);
            assertThat(engine.engine().awaitRunning(Duration.ofSeconds(90)))
                    .as("engine running")
                    .isTrue();

            Map<String, Object> webhook = new HashMap<>(kafka.clientSecurity("connector", USERS.get("connector")));
            webhook.put(WebhookConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.secureBootstrap());
            webhook.put(WebhookConfig.TOPIC_PREFIX_CONFIG, NAMES.prefix());
            webhook.put(WebhookConfig.HTTP_PORT_CONFIG, 0);
            WebhookConnector connector = WebhookConnector.start(new WebhookConfig(webhook));
            started.add(connector);

            ReflexSerdes serdes = new ReflexSerdes(
                    new SchemaRegistryClient(TestServices.registry().url()), true);
            List<String> done = new CopyOnWriteArrayList<>();
            ActorRunner actor = new ActorRunner(
                            KafkaConnection.of(
                                    kafka.secureBootstrap(), kafka.clientSecurity("ops-actor", USERS.get("ops-actor"))),
                            NAMES,
                            serdes,
                            "ops",
                            "reflex-actor-ops",
                            action -> {
                                done.add(action.getTarget());
                                return Execution.succeeded(1, null, null, "restarted");
                            })
                    .start();
            started.add(actor);

            HttpResponse<String> sent = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + connector.port() + "/events/ci"))
                                    .timeout(Duration.ofSeconds(30))
                                    .header("Content-Type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofString(
                                            "{\"id\":\"d-1\",\"type\":\"deploy.failed\",\"subject\":\"checkout\"}"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(sent.statusCode()).as(sent.body()).isEqualTo(202);

            // the action was done, and its result came back as an event and was decided
            List<Decision> decisions = TopicRecords.readUntil(
                            kafka.adminBootstrap(),
                            NAMES.decisions(),
                            new StringDeserializer(),
                            serdes.value(Decision.class).deserializer(),
                            list -> list.stream()
                                    .anyMatch(r -> r.value().getEventType().equals("action.succeeded")),
                            Duration.ofSeconds(90))
                    .stream()
                    .map(r -> r.value())
                    .toList();
            assertThat(decisions).extracting(Decision::getEventId).contains("d-1");
            assertThat(decisions).extracting(Decision::getEventType).contains("action.succeeded");
            assertThat(done).containsExactly("checkout");
            assertThat(engine.engine().threadFailures()).isZero();
        } finally {
            for (int i = started.size() - 1; i >= 0; i--) {
                started.get(i).close();
            }
        }
    }

    @Test
    void theConnectorCannotWriteRules() {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(
                client("connector", "max.block.ms", 20_000), new StringSerializer(), new StringSerializer())) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>(NAMES.rules(), "r", "forged"))
                            .get(30, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(TopicAuthorizationException.class);
        }
    }

    @Test
    void anActorCannotReadAnotherSystemsActions() throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.adminBootstrap()))) {
            admin.createTopics(List.of(new NewTopic(NAMES.actions("billing"), 1, (short) 1)))
                    .all()
                    .get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(TopicExistsException.class);
        }
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(
                client("ops-actor", "group.id", "reflex-actor-ops"),
                new StringDeserializer(),
                new StringDeserializer())) {
            consumer.subscribe(List.of(NAMES.actions("billing")));
            assertThatThrownBy(() -> {
                        long deadline =
                                System.nanoTime() + Duration.ofSeconds(30).toNanos();
                        while (System.nanoTime() < deadline) {
                            consumer.poll(Duration.ofMillis(500));
                        }
                    })
                    .isInstanceOf(TopicAuthorizationException.class);
        }
    }

    @Test
    void aPrincipalWithoutAclsGetsAClearErrorNotAHang() throws Exception {
        long started = System.nanoTime();
        assertThatThrownBy(() -> EngineProcess.start(engineSettings("nobody")).close())
                .isInstanceOf(Engine.StartException.class)
                .hasMessageContaining("not authorized")
                .hasMessageContaining("reflex acls --component engine");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(60));
        Run publish = run(List.of(
                "publish",
                "--source",
                "ci",
                "-",
                "--bootstrap-servers",
                kafka.secureBootstrap(),
                "--kafka-config",
                kafka.clientConfigFile(dir, "nobody", USERS.get("nobody")).toString(),
                "--topic-prefix",
                NAMES.prefix()));
        assertThat(publish.exit).isNotZero();
        assertThat(publish.err).contains("not authorized").contains("reflex acls");
    }

    private static Map<String, Object> engineSettings(String user) {
        Map<String, Object> settings = new HashMap<>(kafka.clientSecurity(user, USERS.get(user)));
        settings.put(EngineConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.secureBootstrap());
        settings.put(
                EngineConfig.SCHEMA_REGISTRY_URL_CONFIG, TestServices.registry().url());
        settings.put(EngineConfig.TOPIC_PREFIX_CONFIG, NAMES.prefix());
        settings.put(EngineConfig.APPLICATION_ID_CONFIG, APPLICATION_ID);
        settings.put(EngineConfig.STATE_DIR_CONFIG, dir.resolve("state-" + user).toString());
        settings.put(EngineConfig.METADATA_MAX_AGE_MS_CONFIG, 1000L);
        settings.put(EngineConfig.API_PORT_CONFIG, -1);
        return settings;
    }

    private static Map<String, Object> client(String user, Object... more) {
        return KafkaConnection.of(kafka.secureBootstrap(), kafka.clientSecurity(user, USERS.get(user)))
                .client(more);
    }

    private record Run(int exit, String out, String err) {}

    private static Run run(List<String> args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        InputStream stdin = System.in;
        try {
            System.setIn(new ByteArrayInputStream("{\"type\":\"t\"}".getBytes(StandardCharsets.UTF_8)));
            int exit = Main.run(
                    new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8),
                    args.toArray(String[]::new));
            return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setIn(stdin);
        }
    }
}
