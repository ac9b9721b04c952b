package dev.reflex.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.reflex.embedded.Ports;
import dev.reflex.embedded.testing.TestServices;

/** What a user sees: exit codes and single-line errors. */
class CliTest {
    record Result(int exit, String out, String err) {
    }

    static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Main.run(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), args);
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void helpListsEveryCommandAndEveryCommandHasHelp() {
        Result help = run("--help");
        assertThat(help.exit()).isZero();
        assertThat(help.out()).contains("dev", "engine", "publish", "rules");
        for (String command : new String[] {"dev", "engine", "publish", "connect", "act", "rules", "rules validate", "rules diff", "rules apply", "rules list", "rules test"}) {
            Result sub = run((command + " --help").split(" "));
            assertThat(sub.exit()).as(command).isZero();
            assertThat(sub.out()).as(command).contains("Usage: reflex " + command);
        }
    }

    @Test
    void anUnknownFlagIsOneLineAndExitCode2() {
        Result result = run("engine", "--bogus");
        assertThat(result.exit()).isEqualTo(2);
        assertThat(result.err().strip()).isEqualTo("error: Unknown option: '--bogus' (see 'reflex engine --help')");
    }

    @Test
    void aMissingFileIsOneLine() {
        Result result = run("publish", "--source", "s", "/nonexistent/event.json");
        assertThat(result.exit()).isEqualTo(1);
        assertThat(result.err().strip()).isEqualTo("error: file not found: /nonexistent/event.json");
        Result config = run("engine", "--config", "/nonexistent/engine.properties");
        assertThat(config.err().strip()).isEqualTo("error: config file not found: /nonexistent/engine.properties");
    }

    @Test
    void aBadScheduleIsOneLine() {
        Result result = run("connect", "timer", "--schedule", "nightly=61 * * * *");
        assertThat(result.exit()).isEqualTo(1);
        assertThat(result.err().strip()).isEqualTo("error: --schedule nightly: '61 * * * *': 61 is outside 0-59");
    }

    @Test
    void anInvalidSettingNamesTheSetting() {
        Result result = run("engine", "--set", "reflex.topic.partitions=0");
        assertThat(result.exit()).isEqualTo(1);
        assertThat(result.err().strip()).startsWith("error: invalid setting: ").contains("reflex.topic.partitions");
        assertThat(result.err().lines().count()).isEqualTo(1);
    }

    @Test
    void anUnreachableBrokerIsOneLineThatSaysWhatToDo() {
        int port = Ports.freePort();
        Result result = run("engine", "--bootstrap-servers", "127.0.0.1:" + port);
        assertThat(result.exit()).isEqualTo(1);
        assertThat(result.err().strip()).isEqualTo("error: cannot reach Kafka at 127.0.0.1:" + port
            + " within 10 s; check --bootstrap-servers and that the brokers are up");
    }

    @Test
    void anUnreachableRegistryIsOneLineThatSaysWhatToDo() {
        int port = Ports.freePort();
        Result result = run("engine", "--bootstrap-servers", TestServices.kafka().bootstrapServers(),
            "--schema-registry-url", "http://127.0.0.1:" + port, "--set", "reflex.topic.prefix=unreach.");
        assertThat(result.exit()).isEqualTo(1);
        assertThat(result.err().strip()).isEqualTo("error: schema registry at http://127.0.0.1:" + port
            + " is unreachable (connection refused); check --schema-registry-url and that the registry is up");
    }

    @Test
    void publishSendsAJsonFileToTheSourcesIngestTopic(@TempDir Path dir) throws Exception {
        Path event = dir.resolve("e.json");
        Files.writeString(event, "{\"type\":\"cpu.high\",\"subject\":\"web-1\"}");
        Result result = run("publish", "--source", "cli-test", "--bootstrap-servers", TestServices.kafka().bootstrapServers(),
            "--topic-prefix", "pub.", event.toString());
        assertThat(result.err()).isEmpty();
        assertThat(result.exit()).isZero();
        assertThat(result.out().strip()).matches("published to pub\\.ingest\\.cli-test partition 0 offset \\d+");
        Files.writeString(event, "[1,2]");
        Result notAnObject = run("publish", "--source", "cli-test", event.toString());
        assertThat(notAnObject.err().strip()).isEqualTo("error: " + event + " must hold one JSON object");
    }

    @Test
    void settingsComeFromFileThenEnvironmentThenFlags(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("engine.properties");
        Files.writeString(file, "bootstrap.servers=file:9092\nreflex.topic.prefix=file.\napplication.id=from-file\n");
        var settings = Settings.resolve(dev.reflex.topology.EngineConfig.CONFIG, file,
            java.util.Map.of("REFLEX_TOPIC_PREFIX", "env.", "REFLEX_BOOTSTRAP_SERVERS", "env:9092"),
            java.util.Map.of("bootstrap.servers", "flag:9092"));
        assertThat(settings).containsEntry("bootstrap.servers", "flag:9092")
            .containsEntry("reflex.topic.prefix", "env.")
            .containsEntry("application.id", "from-file");
        assertThat(Settings.environmentVariable("reflex.max.event.bytes")).isEqualTo("REFLEX_MAX_EVENT_BYTES");
    }
}
