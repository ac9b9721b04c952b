package dev.reflex.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.avro.Schema;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.reflex.embedded.Ports;
import dev.reflex.embedded.testing.TestServices;
import dev.reflex.schemas.registry.IncompatibleSchemaException;
import dev.reflex.schemas.registry.SchemaRegistryClient;
import dev.reflex.schemas.registry.SchemaRegistryUnavailableException;

class SchemaRegistryClientTest {
    private static SchemaRegistryClient client;

    private static final Schema V1 = new Schema.Parser()
            .parse(
                    "{\"type\":\"record\",\"name\":\"Thing\",\"namespace\":\"t\",\"fields\":[{\"name\":\"a\",\"type\":\"string\"}]}");
    private static final Schema V2_COMPATIBLE = new Schema.Parser()
            .parse(
                    "{\"type\":\"record\",\"name\":\"Thing\",\"namespace\":\"t\",\"fields\":[{\"name\":\"a\",\"type\":\"string\"},"
                            + "{\"name\":\"b\",\"type\":\"string\",\"default\":\"x\"}]}");
    private static final Schema V2_INCOMPATIBLE = new Schema.Parser()
            .parse(
                    "{\"type\":\"record\",\"name\":\"Thing\",\"namespace\":\"t\",\"fields\":[{\"name\":\"a\",\"type\":\"string\"},"
                            + "{\"name\":\"c\",\"type\":\"int\"}]}");

    @BeforeAll
    static void start() {
        client = new SchemaRegistryClient(TestServices.registry().url());
    }

    private static String subject() {
        return "test-" + UUID.randomUUID() + "-value";
    }

    @Test
    void registeringTheSameSchemaTwiceGivesTheSameIdAndTheIdResolvesToTheSchema() {
        String subject = subject();
        int id = client.register(subject, V1);
        SchemaRegistryClient fresh =
                new SchemaRegistryClient(TestServices.registry().url());
        assertThat(fresh.register(subject, V1)).isEqualTo(id);
        assertThat(fresh.schemaById(id)).isEqualTo(V1);
        assertThat(fresh.lookup(subject, V1)).contains(id);
        assertThat(fresh.lookup(subject, V2_COMPATIBLE)).isEmpty();
    }

    @Test
    void clientsRegisteringTheSameNewSchemaAtOnceAllGetItsId() throws Exception {
        // two engine instances starting together register their output schemas at the same moment; the registry may
        // refuse the later one with 409, which must not reach the caller (the kill fault run dead-lettered an event)
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            for (int round = 0; round < 5; round++) {
                String subject = subject();
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Integer>> ids = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    ids.add(pool.submit(() -> {
                        go.await();
                        return new SchemaRegistryClient(TestServices.registry().url()).register(subject, V1);
                    }));
                }
                go.countDown();
                Set<Integer> distinct = new HashSet<>();
                for (Future<Integer> id : ids) {
                    distinct.add(id.get(30, TimeUnit.SECONDS));
                }
                assertThat(distinct).containsExactly(client.lookup(subject, V1).orElseThrow());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void latestReturnsTheNewestVersionAndIsEmptyForAnUnknownSubject() {
        String subject = subject();
        assertThat(client.latest(subject)).isEmpty();
        client.register(subject, V1);
        int id2 = client.register(subject, V2_COMPATIBLE);
        SchemaRegistryClient.RegisteredSchema latest = client.latest(subject).orElseThrow();
        assertThat(latest.version()).isEqualTo(2);
        assertThat(latest.id()).isEqualTo(id2);
        assertThat(latest.schema()).isEqualTo(V2_COMPATIBLE);
    }

    @Test
    void anIncompatibleChangeIsRefusedWithAnErrorNamingTheSubject() {
        String subject = subject();
        client.setCompatibility(subject, "BACKWARD");
        assertThat(client.compatibility(subject)).contains("BACKWARD");
        client.register(subject, V1);
        assertThat(client.isCompatible(subject, V2_COMPATIBLE)).isTrue();
        assertThat(client.isCompatible(subject, V2_INCOMPATIBLE)).isFalse();
        assertThatThrownBy(() -> client.register(subject, V2_INCOMPATIBLE))
                .isInstanceOf(IncompatibleSchemaException.class)
                .hasMessageContaining("'" + subject + "'")
                .hasMessageContaining("incompatible");
    }

    @Test
    void anUnreachableRegistryIsReportedAsRetriable() {
        SchemaRegistryClient nowhere =
                new SchemaRegistryClient("http://127.0.0.1:" + Ports.freePort(), Duration.ofSeconds(2));
        assertThatThrownBy(nowhere::ping)
                .isInstanceOf(SchemaRegistryUnavailableException.class)
                .hasMessageContaining("unreachable");
    }
}
