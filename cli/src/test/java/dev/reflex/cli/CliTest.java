package dev.reflex.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.reflex.embedded.Ports;
import dev.reflex.embedded.testing.TestServices;
import dev.reflex.engine.EngineConfig;

/** What a user sees: exit codes and single-line errors. */
class CliTest {
    record Result(int exit, String out, String err) {}

    static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Main.run(
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                args);
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void helpListsEveryCommandAndEveryCommandHasHelp() {
        Result help = run("--help");
        assertThat(help.exit()).isZero();
        assertThat(help.out()).contains("engine", "publish", "rules");
        assertThat(help.out()).as("reflex dev comes with the dev artifact only").doesNotContain("  dev ");
        for (String command : new String[] {
            "engine",
            "publish",
            "connect",
            "act",
            "rules",
            "rules validate",
            "rules diff",
            "rules apply",
            "rules list",
            "rules test",
            "replay",
            "explain",
            "flows",
            "acls",
            "systems",
            "systems list",
            "systems of"
        }) {
            Result sub = run((command + " --help").split(" "));
            assertThat(sub.exit()).as(command).isZero();
            assertThat(sub.out()).as(command).contains("Usage: reflex " + command);
        }
    }

    @Test
    void aclsArePrintedPerComponentAndBadFlagsAreOneLine() {
        Result actor = run(
                "acls",
                "--component",
                "actor",
                "--system",
                "pagerduty",
                "--principal",
                "User:pd",
                "--topic-prefix",
                "acme.");
        assertThat(actor.exit()).as(actor.err()).isZero();
        assertThat(actor.out().lines())
                .containsExactly(
                        "ALLOW User:pd READ TOPIC acme.actions.pagerduty (LITERAL)",
                        "ALLOW User:pd READ TOPIC acme.action-results (LITERAL)",
                        "ALLOW User:pd WRITE TOPIC acme.action-results (LITERAL)",
                        "ALLOW User:pd READ TOPIC acme.systems (LITERAL)",
                        "ALLOW User:pd WRITE TOPIC acme.ingest.actors (LITERAL)",
                        "ALLOW User:pd READ GROUP reflex-actor-pagerduty (LITERAL)",
                        "ALLOW User:pd WRITE TRANSACTIONAL_ID acme.actor-pagerduty- (PREFIXED)",
                        "ALLOW User:pd DESCRIBE TRANSACTIONAL_ID acme.actor-pagerduty- (PREFIXED)");
        Result commands = run("acls", "--component", "connector", "--principal", "User:c", "--format", "kafka-acls");
        assertThat(commands.out())
                .contains("kafka-acls.sh --add --allow-principal 'User:c' --operation Write --topic 'reflex.ingest.' "
                        + "--resource-pattern-type prefixed");
        Result engine =
                run("acls", "--component", "engine", "--principal", "User:e", "--application-id", "prod-engine");
        assertThat(engine.out())
                .contains(
                        "ALLOW User:e READ GROUP prod-engine (LITERAL)",
                        "ALLOW User:e CREATE TOPIC prod-engine (PREFIXED)")
                .doesNotContain("WRITE TOPIC reflex.rules ");
        assertThat(run("acls", "--component", "actor", "--principal", "User:a")
                        .err()
                        .strip())
                .isEqualTo("error: --component actor needs --system NAME");
        assertThat(run("acls", "--component", "broker", "--principal", "User:a")
                        .err()
                        .strip())
                .isEqualTo("error: unknown component 'broker'; one of engine, connector, actor, rules");
        assertThat(run("acls", "--component", "rules", "--principal", "ci")
                        .err()
                        .strip())
                .isEqualTo("error: --principal needs a type, e.g. User:ci");
    }

    @Test
    void anUnknownFlagIsOneLineAndExitCode2() {
        Result result = run("engine", "--bogus");
        assertThat(result.exit()).isEqualTo(2);
        assertThat(result.err().strip()).isEqualTo("error: Unknown option: '--bogus' (see 'reflex engine --help')");
    }

    @Test
    void replayAndExplainSayWhatIsWrongInOneLine() {
        Result badTime = run("replay", "--from", "yesterday-ish");
        assertThat(badTime.exit()).isEqualTo(1);
        assertThat(badTime.err().strip()).isEqualTo("error: --from 'yesterday-ish' is not a time; use " + Times.HELP);
        Result backwards = run("replay", "--from", "2026-11-22T10:00:00Z", "--to", "2026-11-22T09:00:00Z");
        assertThat(backwards.err().strip())
                .isEqualTo("error: --from 2026-11-22T10:00:00Z is after --to 2026-11-22T09:00:00Z");
        int port = Ports.freePort();
        for (String[] args : new String[][] {
            {"replay", "--bootstrap-servers", "127.0.0.1:" + port},
            {"explain", "some-id", "--engine-url", "none", "--bootstrap-servers", "127.0.0.1:" + port}
        }) {
            Result unreachable = run(args);
            assertThat(unreachable.exit()).as(args[0]).isEqualTo(1);
            assertThat(unreachable.err().strip())
                    .as(args[0])
                    .isEqualTo("error: cannot reach Kafka at 127.0.0.1:" + port
                            + " within 10 s; check --bootstrap-servers and that the brokers are up");
        }
    }

    @Test
    void timesAreNowAnInstantADateOrADurationAgo() {
        Instant now = Instant.parse("2026-11-22T08:00:00Z");
        assertThat(Times.parse("now", now, "--to")).isEqualTo(now);
        assertThat(Times.parse("90m", now, "--from")).isEqualTo(Instant.parse("2026-11-22T06:30:00Z"));
        assertThat(Times.parse("2026-11-21T07:15:00Z", now, "--from")).isEqualTo(Instant.parse("2026-11-21T07:15:00Z"));
        assertThat(Times.parse("2026-11-21T07:15", now, "--from")).isEqualTo(Instant.parse("2026-11-21T07:15:00Z"));
        assertThat(Times.parse("2026-11-21", now, "--from")).isEqualTo(Instant.parse("2026-11-21T00:00:00Z"));
    }

    @Test
    void progressIsABarWithRateAndEtaOnATerminalAndPlainLinesOtherwise() {
        StringWriter plain = new StringWriter();
        Progress lines = new Progress(new PrintWriter(plain, true), false, "events");
        lines.start(1_000);
        String line = lines.line(250, System.nanoTime() + 1_000_000_000L);
        assertThat(line).matches("\\[#######\\.{23}\\]  25% 250 of 1,000 events  \\d+/s  ETA \\d+ s");
        lines.finish(1_000);
        assertThat(plain.toString()).as("nothing redrawn on a pipe").isEmpty();
        assertThat(Progress.duration(59)).isEqualTo("59 s");
        assertThat(Progress.duration(3_725)).isEqualTo("1 h 2 min");
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
    void anActorConcurrencyBelowOneIsRefusedInOneLine() {
        Result result = run("act", "log", "--system", "ops", "--set", "actor.concurrency=0");
        assertThat(result.exit()).isEqualTo(1);
        assertThat(result.err().strip())
                .isEqualTo(
                        "error: invalid setting: Invalid value 0 for configuration actor.concurrency: must be at least 1");
    }

    @Test
    void anUnreachableBrokerIsOneLineThatSaysWhatToDo() {
        int port = Ports.freePort();
        Result result = run("engine", "--bootstrap-servers", "127.0.0.1:" + port, "--set", "reflex.api.port=0");
        assertThat(result.exit()).isEqualTo(1);
        assertThat(result.err().strip())
                .isEqualTo("error: cannot reach Kafka at 127.0.0.1:" + port
                        + " within 10 s; check --bootstrap-servers and that the brokers are up");
    }

    @Test
    void anUnreachableRegistryIsOneLineThatSaysWhatToDo() {
        int port = Ports.freePort();
        Result result = run(
                "engine",
                "--bootstrap-servers",
                TestServices.kafka().bootstrapServers(),
                "--schema-registry-url",
                "http://127.0.0.1:" + port,
                "--set",
                "reflex.topic.prefix=unreach.",
                "--set",
                "reflex.api.port=0");
        assertThat(result.exit()).isEqualTo(1);
        assertThat(result.err().strip())
                .isEqualTo(
                        "error: schema registry at http://127.0.0.1:" + port
                                + " is unreachable (connection refused); check --schema-registry-url and that the registry is up");
    }

    @Test
    void publishSendsAJsonFileToTheSourcesIngestTopic(@TempDir Path dir) throws Exception {
        Path event = dir.resolve("e.json");
        Files.writeString(event, "{\"type\":\"cpu.high\",\"subject\":\"web-1\"}");
        Result result = run(
                "publish",
                "--source",
                "cli-test",
                "--bootstrap-servers",
                TestServices.kafka().bootstrapServers(),
                "--topic-prefix",
                "pub.",
                event.toString());
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
        var settings = Settings.resolve(
                EngineConfig.CONFIG,
                file,
                Map.of("REFLEX_TOPIC_PREFIX", "env.", "REFLEX_BOOTSTRAP_SERVERS", "env:9092"),
                Map.of("bootstrap.servers", "flag:9092"));
        assertThat(settings)
                .containsEntry("bootstrap.servers", "flag:9092")
                .containsEntry("reflex.topic.prefix", "env.")
                .containsEntry("application.id", "from-file");
        assertThat(Settings.environmentVariable("reflex.max.event.bytes")).isEqualTo("REFLEX_MAX_EVENT_BYTES");
    }
}
