package dev.reflex.rules.systems;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.reflex.rules.files.RuleFiles;
import dev.reflex.rules.yaml.Problem;
import dev.reflex.schemas.Rate;
import dev.reflex.schemas.SystemDef;
import dev.reflex.schemas.SystemMatch;

/** Systems with subsystems: which events belong where, aggregated top-down, and every catalog mistake with its line. */
class SystemCatalogTest {
    private static final String SHOP = """
        system: shop
        description: What customers see
        includes: [checkout, payments]
        mask: [card-number]
        ---
        system: storage
        includes: [postgres]
        ---
        system: checkout
        includes: [postgres]
        match:
          - {source: k8s, subject: "checkout-*"}
          - {source: alertmanager, labels: {service: checkout}}
        ---
        system: payments
        match: {source: stripe}
        ---
        system: postgres
        match: {type: "pg.*"}
        mask: [password]
        """;

    /** The version of {@code system: db / match: {type: "pg.*"}} as it was before systems could declare limits. */
    private static final String VERSION_BEFORE_LIMITS = "04874a0c32f8";

    private static SystemCatalog load(Path dir, String text) throws Exception {
        Files.createDirectories(dir.resolve("systems"));
        Files.writeString(dir.resolve("systems/catalog.yaml"), text);
        RuleFiles.Loaded loaded = RuleFiles.load(dir);
        assertThat(loaded.problems()).isEmpty();
        return loaded.catalog();
    }

    private static List<Problem> problems(Path dir, String text) throws Exception {
        Files.createDirectories(dir.resolve("systems"));
        Files.writeString(dir.resolve("systems/catalog.yaml"), text);
        return RuleFiles.load(dir).problems();
    }

    @Test
    void anEventBelongsToTheSystemsItMatchesAndEveryAggregateAbove(@TempDir Path dir) throws Exception {
        SystemCatalog catalog = load(dir, SHOP);
        assertThat(catalog.roots()).containsExactly("shop", "storage");
        assertThat(catalog.systemsOf("db", "pg.replication.lag", "pg-1", Map.of()))
                .as("postgres is in checkout and in storage; checkout is in shop")
                .containsExactly("checkout", "postgres", "shop", "storage");
        assertThat(catalog.systemsOf("k8s", "pod.oom", "checkout-7d9f", Map.of()))
                .containsExactly("checkout", "shop");
        assertThat(catalog.systemsOf("k8s", "pod.oom", "search-1", Map.of())).isEmpty();
        assertThat(catalog.systemsOf("alertmanager", "alert.firing", "x", Map.of("service", "checkout")))
                .containsExactly("checkout", "shop");
        assertThat(catalog.systemsOf("alertmanager", "alert.firing", "x", Map.of("service", "search")))
                .isEmpty();
        assertThat(catalog.systemsOf("stripe", "charge.failed", null, Map.of())).containsExactly("payments", "shop");
        assertThat(catalog.includedBy("postgres")).containsExactly("checkout", "storage");
        assertThat(catalog.masked("postgres"))
                .as("its own and its aggregates'")
                .containsExactly("card-number", "password");
        assertThat(catalog.systems().get("shop").getDescription()).isEqualTo("What customers see");
        assertThat(catalog.systems().get("shop").getOrigin()).endsWith("catalog.yaml:1");
    }

    @Test
    void labelsDecideOnlyWhereAMatchTheEventMeetsAsksForThem(@TempDir Path dir) throws Exception {
        SystemCatalog catalog = load(dir, SHOP);
        assertThat(catalog.labelsDecide("alertmanager", "alert.firing", "x"))
                .as("checkout matches alertmanager events by their service label")
                .isTrue();
        assertThat(catalog.labelsDecide("k8s", "pod.oom", "checkout-7d9f")).isFalse();
        assertThat(catalog.labelsDecide("db", "pg.replication.lag", "pg-1")).isFalse();
    }

    @Test
    void aDefinitionHasOneVersionThatChangesWithIt(@TempDir Path dir) throws Exception {
        String before = load(dir, SHOP).systems().get("payments").getVersion();
        assertThat(load(dir, SHOP).systems().get("payments").getVersion()).isEqualTo(before);
        assertThat(load(dir, SHOP.replace("{source: stripe}", "{source: adyen}"))
                        .systems()
                        .get("payments")
                        .getVersion())
                .isNotEqualTo(before);
        assertThat(load(dir, SHOP.replace("{source: stripe}", "{source: adyen}"))
                        .systems()
                        .get("shop")
                        .getVersion())
                .as("an aggregate's own definition did not change")
                .isEqualTo(load(dir, SHOP).systems().get("shop").getVersion());
    }

    @Test
    void catalogMistakesAreRefusedWithTheLineAndTheReason(@TempDir Path dir) throws Exception {
        assertThat(problems(
                        dir,
                        "system: a\nincludes: [b]\n---\nsystem: b\nincludes: [c]\n---\nsystem: c\nincludes:\n  - a\n"))
                .extracting(Problem::toString)
                .singleElement()
                .asString()
                .endsWith("catalog.yaml:2: includes go round in a circle: a -> b -> c -> a");
        assertThat(problems(dir, "system: a\nincludes: [a]\n"))
                .extracting(Problem::toString)
                .containsExactly(dir.resolve("systems/catalog.yaml") + ":2: system a includes itself");
        assertThat(problems(dir, "system: a\nincludes:\n  - nope\n"))
                .extracting(Problem::toString)
                .containsExactly(
                        dir.resolve("systems/catalog.yaml") + ":3: system a includes unknown system 'nope'; known: a");
        assertThat(problems(dir, "system: a\nmatch:\n  - {}\n"))
                .extracting(Problem::toString)
                .containsExactly(dir.resolve("systems/catalog.yaml")
                        + ":3: a.match: an entry needs at least one of labels, source, subject, type");
        assertThat(problems(dir, "system: a\nmatch: {host: x}\n"))
                .extracting(Problem::toString)
                .singleElement()
                .asString()
                .contains(":2: unknown field 'host' in a.match; expected one of labels, source, subject, type");
        assertThat(problems(dir, "system: a\nmask: [x]\n---\nsystem: a\nmatch: {source: s}\n"))
                .extracting(Problem::toString)
                .singleElement()
                .asString()
                .contains(":4: system a is described twice")
                .contains("catalog.yaml:1)");
        assertThat(problems(dir, "system: a\nincludes: {b: c}\n"))
                .extracting(Problem::toString)
                .singleElement()
                .asString()
                .endsWith(":2: 'a.includes' must be a list");
    }

    @Test
    void aSystemDeclaresARatePerTargetAndASystemWithoutLimitsKeepsItsVersion(@TempDir Path dir) throws Exception {
        String before = load(dir, "system: db\nmatch: {type: \"pg.*\"}\n")
                .systems()
                .get("db")
                .getVersion();
        assertThat(before)
                .as("the version of this definition before limits existed")
                .isEqualTo(VERSION_BEFORE_LIMITS);
        SystemDef limited = load(dir, "system: db\nmatch: {type: \"pg.*\"}\nlimits:\n  target: {rate: 5/1m}\n")
                .systems()
                .get("db");
        assertThat(limited.getLimits().getTargetRate().getCount()).isEqualTo(5);
        assertThat(limited.getLimits().getTargetRate().getWindowMs()).isEqualTo(60_000);
        assertThat(limited.getVersion()).isNotEqualTo(before);
        assertThat(load(dir, "system: db\nlimits: {target: {rate: 1/h}}\n")
                        .systems()
                        .get("db")
                        .getLimits()
                        .getTargetRate()
                        .getWindowMs())
                .isEqualTo(3_600_000);
        SystemDef withTargetRate = limited;
        SystemDef whole = load(
                        dir,
                        "system: db\nmatch: {type: \"pg.*\"}\nlimits:\n  target: {rate: 5/1m, concurrency: 1}\n"
                                + "  system: {concurrency: 8, rate: 100/10s}\n")
                .systems()
                .get("db");
        assertThat(whole.getLimits().getSystemConcurrency()).isEqualTo(8);
        assertThat(whole.getLimits().getSystemRate()).isEqualTo(new Rate(100, 10_000L));
        assertThat(whole.getVersion())
                .as("a system-wide limit is part of the version")
                .isNotEqualTo(withTargetRate.getVersion());
    }

    @Test
    void badLimitsAreRefusedWithTheLineAndTheReason(@TempDir Path dir) throws Exception {
        assertThat(problems(dir, "system: db\nlimits:\n  target: {rate: fast}\n"))
                .extracting(Problem::toString)
                .containsExactly(
                        dir.resolve("systems/catalog.yaml")
                                + ":3: db.limits.target.rate: 'fast' is not a rate; write a count and a window: 5/1m, 100/10s, 1/2h");
        assertThat(problems(dir, "system: db\nlimits:\n  target: {rate: 0/1m}\n"))
                .extracting(Problem::toString)
                .singleElement()
                .asString()
                .endsWith(":3: db.limits.target.rate: a rate allows at least 1 action per window");
        assertThat(problems(dir, "system: db\nlimits:\n  target: {rate: 5/0s}\n"))
                .extracting(Problem::toString)
                .singleElement()
                .asString()
                .endsWith(":3: db.limits.target.rate: the window must be more than zero");
        assertThat(problems(dir, "system: db\nlimits:\n  concurrency: 10\n"))
                .extracting(Problem::toString)
                .singleElement()
                .asString()
                .contains(":3: unknown field 'concurrency' in db.limits; expected one of system, target");
        assertThat(problems(dir, "system: db\nlimits:\n  target: {concurrency: 2}\n"))
                .extracting(Problem::toString)
                .singleElement()
                .asString()
                .endsWith(":3: db.limits.target.concurrency: a target runs one action at a time, in the engine's"
                        + " order; only 1 is allowed");
        assertThat(problems(dir, "system: db\nlimits:\n  system: {concurrency: 0}\n"))
                .extracting(Problem::toString)
                .singleElement()
                .asString()
                .endsWith(":3: db.limits.system.concurrency: '0' is not a number of actions at once; write a whole"
                        + " number from 1");
        assertThat(problems(dir, "system: db\nlimits:\n  system: {rate: lots}\n"))
                .extracting(Problem::toString)
                .singleElement()
                .asString()
                .endsWith(":3: db.limits.system.rate: 'lots' is not a rate; write a count and a window: 5/1m,"
                        + " 100/10s, 1/2h");
        assertThat(problems(dir, "system: db\nlimits:\n  system: {burst: 3}\n"))
                .extracting(Problem::toString)
                .singleElement()
                .asString()
                .contains("unknown field 'burst' in db.limits.system; expected one of concurrency, rate");
    }

    @Test
    void globsMatchAnyRunOfCharacters() {
        SystemMatch m = SystemMatch.newBuilder()
                .setSubject("*-db-*.prod")
                .setLabels(Map.of())
                .build();
        assertThat(SystemCatalog.matches(m, "s", "t", "orders-db-1.prod", Map.of()))
                .isTrue();
        assertThat(SystemCatalog.matches(m, "s", "t", "orders-db-1.staging", Map.of()))
                .isFalse();
        assertThat(SystemCatalog.matches(m, "s", "t", null, Map.of())).isFalse();
        SystemMatch dots =
                SystemMatch.newBuilder().setType("a.b").setLabels(Map.of()).build();
        assertThat(SystemCatalog.matches(dots, "s", "aXb", null, Map.of()))
                .as("a dot is a dot, not any character")
                .isFalse();
    }
}
