package dev.reflex.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;

import dev.reflex.embedded.EmbeddedKafka;
import dev.reflex.embedded.Ports;

/**
 * A broker secured as in production: a SASL_SSL listener (SCRAM-SHA-512 over TLS with a certificate made here by
 * the JDK's keytool) and the StandardAuthorizer, which denies what no ACL allows. Its PLAINTEXT listener is the
 * operator's (a super user), used to create users and apply ACLs, as an administrator would.
 */
final class SecuredKafka implements AutoCloseable {
    static final String STORE_PASSWORD = "store-secret";

    private final EmbeddedKafka kafka;
    private final String secureBootstrap;
    private final Path trustStore;

    private SecuredKafka(EmbeddedKafka kafka, String secureBootstrap, Path trustStore) {
        this.kafka = kafka;
        this.secureBootstrap = secureBootstrap;
        this.trustStore = trustStore;
    }

    static SecuredKafka start(Path dir) throws Exception {
        Path keyStore = dir.resolve("broker.p12");
        Path cert = dir.resolve("broker.pem");
        Path trustStore = dir.resolve("trust.p12");
        keytool(
                "-genkeypair",
                "-alias",
                "broker",
                "-keyalg",
                "RSA",
                "-keysize",
                "2048",
                "-validity",
                "2",
                "-dname",
                "CN=127.0.0.1",
                "-ext",
                "SAN=ip:127.0.0.1,dns:localhost",
                "-keystore",
                keyStore.toString(),
                "-storetype",
                "PKCS12",
                "-storepass",
                STORE_PASSWORD,
                "-keypass",
                STORE_PASSWORD);
        keytool(
                "-exportcert",
                "-rfc",
                "-alias",
                "broker",
                "-keystore",
                keyStore.toString(),
                "-storepass",
                STORE_PASSWORD,
                "-file",
                cert.toString());
        keytool(
                "-importcert",
                "-noprompt",
                "-alias",
                "broker",
                "-file",
                cert.toString(),
                "-keystore",
                trustStore.toString(),
                "-storetype",
                "PKCS12",
                "-storepass",
                STORE_PASSWORD);
        int plain = Ports.freePort();
        int controller = Ports.freePort();
        int secure = Ports.freePort();
        Map<String, String> overrides = new LinkedHashMap<>();
        overrides.put(
                "listeners",
                "PLAINTEXT://127.0.0.1:" + plain + ",CONTROLLER://127.0.0.1:" + controller + ",SECURE://127.0.0.1:"
                        + secure);
        overrides.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + plain + ",SECURE://127.0.0.1:" + secure);
        overrides.put("listener.security.protocol.map", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SECURE:SASL_SSL");
        overrides.put("sasl.enabled.mechanisms", "SCRAM-SHA-512");
        overrides.put(
                "listener.name.secure.scram-sha-512.sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        overrides.put("listener.name.secure.ssl.keystore.location", keyStore.toString());
        overrides.put("listener.name.secure.ssl.keystore.password", STORE_PASSWORD);
        overrides.put("listener.name.secure.ssl.key.password", STORE_PASSWORD);
        overrides.put("listener.name.secure.ssl.keystore.type", "PKCS12");
        overrides.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        // the operator's plaintext listener and the broker itself (controller, inter-broker) are ANONYMOUS
        overrides.put("super.users", "User:ANONYMOUS");
        EmbeddedKafka kafka =
                EmbeddedKafka.start(dir.resolve("data"), plain, controller, Duration.ofSeconds(60), overrides);
        return new SecuredKafka(kafka, "127.0.0.1:" + secure, trustStore);
    }

    /** The operator's listener (a super user): for users, ACLs and reading what components wrote. */
    String adminBootstrap() {
        return kafka.bootstrapServers();
    }

    /** The SASL_SSL listener the components use. */
    String secureBootstrap() {
        return secureBootstrap;
    }

    /** Creates SCRAM-SHA-512 users with these passwords. */
    void createUsers(Map<String, String> passwords) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", adminBootstrap()))) {
            admin.alterUserScramCredentials(passwords.entrySet().stream()
                            .map(e -> (UserScramCredentialAlteration) new UserScramCredentialUpsertion(
                                    e.getKey(),
                                    new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096),
                                    e.getValue()))
                            .toList())
                    .all()
                    .get(30, TimeUnit.SECONDS);
        }
    }

    /** The client security settings of {@code user}, as a Reflex process takes them. */
    Map<String, Object> clientSecurity(String user, String password) {
        return Map.of(
                "security.protocol",
                "SASL_SSL",
                "sasl.mechanism",
                "SCRAM-SHA-512",
                "sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user + "\" password=\""
                        + password + "\";",
                "ssl.truststore.location",
                trustStore.toString(),
                "ssl.truststore.type",
                "PKCS12",
                "ssl.truststore.password",
                STORE_PASSWORD);
    }

    /** The same settings as a properties file, for --kafka-config. */
    Path clientConfigFile(Path dir, String user, String password) throws Exception {
        StringBuilder text = new StringBuilder();
        clientSecurity(user, password)
                .forEach((k, v) -> text.append(k)
                        .append('=')
                        .append(v.toString().replace("\\", "\\\\"))
                        .append('\n'));
        return Files.writeString(dir.resolve(user + ".properties"), text.toString(), StandardCharsets.UTF_8);
    }

    private static void keytool(String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException("keytool " + args[0] + " failed: " + output);
        }
    }

    @Override
    public void close() {
        kafka.close();
    }
}
