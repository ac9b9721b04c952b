package dev.reflex.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.reflex.embedded.testing.TestServices;

/** reflex rules, as a user runs it: against files, and against the live rules topic of a real broker. */
class RulesCommandTest {
    private static final String RULE = """
        id: %s
        when:
          source: k8s
          type: pod.oom
          condition: event.data.restarts < %d
        then:
          - system: ops
            action: restart
            params: {pod: "${event.subject}"}
        """;

    private static void write(Path dir, String id, int limit) throws Exception {
        Files.writeString(dir.resolve(id + ".yaml"), RULE.formatted(id, limit));
    }

    @Test
    void validateListsEveryProblemWithFileAndLineAndExits1(@TempDir Path dir) throws Exception {
        write(dir, "good", 3);
        Files.writeString(
                dir.resolve("bad.yaml"), "id: bad\nwhen:\n  condition: System.exit(0)\n---\nid: worse\nthen: []\n");
        CliTest.Result result = CliTest.run("rules", "validate", dir.toString());
        assertThat(result.exit()).isEqualTo(1);
        assertThat(result.err().lines().toList())
                .containsExactly(
                        dir.resolve("bad.yaml")
                                + ":3: when.condition: unknown name 'System' at column 1: expressions can read only 'event', 'registers' and, in a correlation rule, 'correlation', in a flow, 'context', 'result', 'item' and 'loop' (and use true, false, null)",
                        dir.resolve("bad.yaml") + ":5: rule 'worse' needs a 'when' (source, type and/or condition)",
                        "2 problem(s); fix them before applying");
        Files.delete(dir.resolve("bad.yaml"));
        assertThat(CliTest.run("rules", "validate", dir.toString()).out().strip())
                .isEqualTo("1 rules valid");
    }

    @Test
    void testShowsForEveryRuleWhetherItMatchedAndWhatItWouldEmit(@TempDir Path dir) throws Exception {
        write(dir, "restart", 3);
        Files.writeString(dir.resolve("other.yaml"), "id: other\nwhen: {source: ci, type: build}\n");
        Path event = dir.resolve("event.json");
        Files.writeString(event, "{\"id\":\"e1\",\"type\":\"pod.oom\",\"subject\":\"api-1\",\"restarts\":1}");
        Path registers = dir.resolve("registers.json");
        Files.writeString(registers, "{\"x\":\"1\"}");
        Path rules = Files.createDirectories(dir.resolve("rules"));
        Files.move(dir.resolve("restart.yaml"), rules.resolve("restart.yaml"));
        Files.move(dir.resolve("other.yaml"), rules.resolve("other.yaml"));
        CliTest.Result result = CliTest.run(
                "rules",
                "test",
                rules.toString(),
                "--event",
                event.toString(),
                "--source",
                "k8s",
                "--registers",
                registers.toString());
        assertThat(result.err()).isEmpty();
        assertThat(result.out().lines().toList())
                .satisfiesExactly(
                        l -> assertThat(l).isEqualTo("event e1: source=k8s type=pod.oom subject=api-1"),
                        l -> assertThat(l).matches("  restart@[0-9a-f]{12}: MATCHED"),
                        l -> assertThat(l).isEqualTo("      action ops/restart target=api-1 params={pod=api-1}"),
                        l -> assertThat(l)
                                .matches("  other@[0-9a-f]{12}: NOT CONSIDERED - listens to source ci, type build"));
    }

    @Test
    void testWithASequenceOfEventsShowsWhatCorrelationMakesOfEachAndFiresDeadlinesByTheEventsClock() {
        CliTest.Result result = CliTest.run(
                "rules", "test", "../examples/rules", "--events", "../examples/events/restart-failures.jsonl");
        assertThat(result.err()).isEmpty();
        assertThat(result.exit()).isZero();
        assertThat(result.out())
                .containsPattern(
                        "2026-03-01T10:04:00Z event r-2: source=reflex type=action.failed subject=checkout\\R"
                                + "  page-on-repeated-restart-failures@[0-9a-f]{12}: COUNTED - key 'checkout': 2 of 3 within 10m, first at 2026-03-01T10:00:00Z")
                .containsPattern(
                        "page-on-repeated-restart-failures@[0-9a-f]{12}: FIRED - key 'checkout': 3 within 10m, first at "
                                + "2026-03-01T10:00:00Z\\R      action pagerduty/trigger target=checkout params=\\{severity=critical, "
                                + "summary=checkout: 3 failed restarts since 2026-03-01T10:00:00Z\\}")
                .containsPattern(
                        "THROTTLED - key 'checkout': 3 within 10m, first at 2026-03-01T10:09:00Z; throttled until 2026-03-01T10:38:00Z")
                .endsWith("7 events" + System.lineSeparator());

        CliTest.Result flapping = CliTest.run(
                "rules", "test", "../examples/rules", "--events", "../examples/events/flapping-alert.jsonl");
        assertThat(flapping.out())
                .contains("CANCELLED - key '5f0c3e9a': cancelled by event am-2; armed at 2026-03-01T10:00:00Z by am-1")
                .contains(
                        "2026-03-01T10:15:00Z deadline of page-on-persistent-alert, key '5f0c3e9a': FIRED - no 'unless' event within 5m;"
                                + " due at 2026-03-01T10:15:00Z, fired 0ms after")
                .contains("summary=DiskFull has been firing since 2026-03-01T10:10:00Z")
                .contains(
                        "(after the last event: the clock moves on to 2026-03-01T10:45:00Z to fire the deadlines still armed)")
                .contains("2026-03-01T10:45:00Z deadline of page-on-persistent-alert, key '5f0c3e9a': THROTTLED");
    }

    @Test
    void flowsTestRunsAFlowOfflineWithCannedResultsToItsEnd() {
        CliTest.Result result = CliTest.run(
                "flows",
                "test",
                "../examples/rules",
                "--events",
                "../examples/events/flows/deploy-guard.jsonl",
                "--results",
                "../examples/events/flows/deploy-guard-results.json");
        assertThat(result.err()).isEmpty();
        assertThat(result.out())
                .contains("ignored: no step of run 1 waits for event healthy-41")
                .contains("timed out healthy: no event within 15m (0 ms late)")
                .contains("retry scheduled rollback: attempt 2 failed; attempt 3 of 3 in 1m")
                .contains("action oncall/page target=checkout params={summary=rollback of checkout to 41 failed}")
                .endsWith("deploy-guard/checkout: run 1 ended" + System.lineSeparator());
        CliTest.Result ladder = CliTest.run(
                "flows",
                "test",
                "../examples/rules",
                "--events",
                "../examples/events/flows/escalation-ladder.jsonl",
                "--results",
                "../examples/events/flows/escalation-ladder-results.json");
        assertThat(ladder.out())
                .contains("action oncall/page target=secondary params={summary=incident INC-7, step 1}")
                .contains("ended acknowledged: run 1 ended")
                .doesNotContain("target=manager");
        CliTest.Result bad = CliTest.run(
                "flows",
                "test",
                "../examples/rules",
                "--events",
                "../examples/events/flows/deploy-guard.jsonl",
                "--results",
                "../examples/events/flows/deploy-guard.jsonl");
        assertThat(bad.exit()).isNotZero();
    }

    @Test
    void testWithEventsNamesTheLineThatIsNotAnEvent(@TempDir Path dir) throws Exception {
        Path events = dir.resolve("events.jsonl");
        Files.writeString(events, "{\"id\":\"a\",\"type\":\"t\"}\n\n{not json\n");
        CliTest.Result result = CliTest.run("rules", "test", "../examples/rules", "--events", events.toString());
        assertThat(result.exit()).isNotZero();
        assertThat(result.err()).startsWith("error: " + events + ":3 is not JSON: ");
        CliTest.Result both = CliTest.run(
                "rules", "test", "../examples/rules", "--events", events.toString(), "--event", events.toString());
        assertThat(both.exit()).isNotZero();
        assertThat(both.err()).contains("mutually exclusive");
    }

    @Test
    @Tag("integration")
    void applyPublishesChangesAndTombstonesOnceAndDiffAndListShowTheLiveState(@TempDir Path dir) throws Exception {
        String bootstrap = TestServices.kafka().bootstrapServers();
        String registry = TestServices.registry().url();
        String prefix = "rc" + UUID.randomUUID().toString().substring(0, 8) + ".";
        String[] connection = {
            "--bootstrap-servers", bootstrap, "--schema-registry-url", registry, "--topic-prefix", prefix
        };
        write(dir, "one", 3);
        write(dir, "two", 5);

        CliTest.Result first = CliTest.run(concat(new String[] {"rules", "apply", dir.toString()}, connection));
        assertThat(first.err()).isEmpty();
        assertThat(first.out()).contains("+ one ", "+ two ", "applied: 2 added, 0 changed, 0 removed");
        assertThat(CliTest.run(concat(new String[] {"rules", "apply", dir.toString()}, connection))
                        .out()
                        .strip())
                .isEqualTo("no changes; 2 rules already live");

        write(dir, "one", 4);
        Files.delete(dir.resolve("two.yaml"));
        CliTest.Result diff =
                CliTest.run(concat(new String[] {"rules", "diff", dir.toString(), "--exit-code"}, connection));
        assertThat(diff.exit()).isEqualTo(1);
        assertThat(diff.out().lines().toList())
                .satisfiesExactly(
                        l -> assertThat(l).matches("~ one [0-9a-f]{12} -> [0-9a-f]{12}  \\(.*one.yaml:1\\)"),
                        l -> assertThat(l).matches("- two [0-9a-f]{12}"),
                        l -> assertThat(l).isEqualTo("0 added, 1 changed, 1 removed"));
        assertThat(CliTest.run(concat(new String[] {"rules", "apply", dir.toString()}, connection))
                        .out())
                .contains("applied: 0 added, 1 changed, 1 removed");

        CliTest.Result list = CliTest.run(concat(new String[] {"rules", "list"}, connection));
        assertThat(list.out()).contains("one ").doesNotContain("two ").contains("1 rules");
        assertThat(CliTest.run(concat(new String[] {"rules", "diff", dir.toString(), "--exit-code"}, connection))
                        .exit())
                .isZero();
    }

    @Test
    void systemsOfTellsWhichSystemsAnEventBelongsToUpTheTree(@TempDir Path dir) throws Exception {
        Path event = Files.writeString(
                dir.resolve("pg.json"), "{\"id\":\"e1\",\"type\":\"pg.replication.lag\",\"subject\":\"pg-2\"}");
        Path other = Files.writeString(
                dir.resolve("other.json"), "{\"id\":\"e2\",\"type\":\"disk.full\",\"subject\":\"batch-1\"}");
        CliTest.Result of = CliTest.run(
                "systems",
                "of",
                "../examples/rules",
                "--source",
                "monitoring",
                "--event",
                event.toString(),
                "--event",
                other.toString());
        assertThat(of.exit()).as(of.err()).isZero();
        assertThat(of.out().lines())
                .containsExactly(
                        event + " (monitoring pg.replication.lag pg-2): checkout, postgres, shop, storage",
                        other + " (monitoring disk.full batch-1): no system");
    }

    @Test
    @Tag("integration")
    void applyPublishesTheSystemsCatalogAndSystemsListShowsTheTree(@TempDir Path dir) throws Exception {
        String[] connection = {
            "--bootstrap-servers",
            TestServices.kafka().bootstrapServers(),
            "--schema-registry-url",
            TestServices.registry().url(),
            "--topic-prefix",
            "sy" + UUID.randomUUID().toString().substring(0, 8) + "."
        };
        write(dir, "one", 3);
        Files.createDirectories(dir.resolve("systems"));
        Files.writeString(
                dir.resolve("systems/catalog.yaml"),
                "system: shop\nincludes: [checkout, payments]\n---\n"
                        + "system: checkout\nmatch: {source: k8s, subject: 'checkout-*'}\n---\nsystem: payments\nmatch: {source: stripe}\n");
        CliTest.Result first = CliTest.run(concat(new String[] {"rules", "apply", dir.toString()}, connection));
        assertThat(first.err()).isEmpty();
        assertThat(first.out())
                .contains(
                        "+ one ",
                        "+ system checkout ",
                        "+ system shop ",
                        "applied: 1 added, 0 changed, 0 removed; systems: 3 added, 0 changed, 0 removed");
        // a record nobody can read on the systems topic is skipped, and the catalog is still read
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", TestServices.kafka().bootstrapServers()),
                new ByteArraySerializer(),
                new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(
                            connection[5] + "systems", "junk".getBytes(), new byte[] {0, 0, 0, 0, 42, 1, 2}))
                    .get();
        }
        CliTest.Result list = CliTest.run(concat(new String[] {"systems", "list"}, connection));
        assertThat(list.out().lines())
                .satisfiesExactly(
                        l -> assertThat(l).matches("shop [0-9a-f]{12}"),
                        l -> assertThat(l).matches("├─ checkout [0-9a-f]{12}  \\[source k8s, subject checkout-\\*\\]"),
                        l -> assertThat(l).matches("└─ payments [0-9a-f]{12}  \\[source stripe\\]"),
                        l -> assertThat(l).isEqualTo("3 systems"));

        Files.writeString(
                dir.resolve("systems/catalog.yaml"),
                "system: shop\nincludes: [checkout]\n---\n"
                        + "system: checkout\nmatch: {source: k8s, subject: 'checkout-*'}\n");
        assertThat(CliTest.run(concat(new String[] {"rules", "apply", dir.toString()}, connection))
                        .out())
                .contains("- system payments ", "~ system shop ", "systems: 0 added, 1 changed, 1 removed");
        assertThat(CliTest.run(concat(new String[] {"systems", "list"}, connection))
                        .out())
                .doesNotContain("payments")
                .contains("2 systems");
        assertThat(CliTest.run(concat(new String[] {"rules", "apply", dir.toString()}, connection))
                        .out()
                        .strip())
                .isEqualTo("no changes; 1 rules already live");
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
