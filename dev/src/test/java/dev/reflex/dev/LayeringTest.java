package dev.reflex.dev;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;

import dev.reflex.connectors.webhook.WebhookSource;

/**
 * The module layering, checked on the compiled classes of every module (this module's class path holds them all):
 * <pre>
 * schemas, admin          (depend on no other Reflex module)
 * rules                   schemas; no Kafka
 * topology                rules, schemas
 * engine                  topology, rules, schemas, admin
 * audit                   rules, schemas
 * connectors, actors      schemas, admin
 * cli                     all of the above; no broker, no registry
 * dev                     cli, embedded
 * </pre>
 * and nothing outside the topology reaches into {@code topology.internals} or {@code topology.keyed}. Inside {@code rules}, one package per idea:
 * <pre>
 * rules.expr              the expression language, templates, durations: nothing else of rules
 * rules.yaml              the YAML reader and its problems: nothing else of rules
 * rules.systems           expr, yaml
 * rules.correlate         rules, expr; not flow
 * rules.flow              rules, expr, systems; not correlate
 * rules                   rule book, index, evaluation (over expr, correlate, flow)
 * rules.files             reading, versions, diffs: over all of the above, under none
 * </pre>
 * In {@code audit}, {@code audit.history} (scanning, the event/decision join) under {@code replay}, {@code explain} and
 * {@code publish}; and in {@code connectors}, each source its own: the timer ({@code connectors.timer}) and the webhook
 * ({@code connectors.webhook}) apart, and no webhook source using another.
 */
class LayeringTest {
    private static JavaClasses reflex;

    @BeforeAll
    static void importClasses() {
        // test helpers in other modules' test jars (TestEngines, TestServices) are not production code either
        reflex = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(location -> !location.contains("-tests.jar"))
                .importPackages("dev.reflex");
    }

    private static void onlyDependsOnReflex(String module, String... allowed) {
        String[] forbidden = Stream.of(
                        "schemas",
                        "admin",
                        "rules",
                        "topology",
                        "engine",
                        "audit",
                        "connectors",
                        "actors",
                        "cli",
                        "dev",
                        "embedded",
                        "bench")
                .filter(m -> !m.equals(module) && !Arrays.asList(allowed).contains(m))
                .map(m -> "dev.reflex." + m + "..")
                .toArray(String[]::new);
        noClasses()
                .that()
                .resideInAPackage("dev.reflex." + module + "..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(forbidden)
                .because(module + " may use only "
                        + (allowed.length == 0 ? "no other Reflex module" : String.join(", ", allowed)))
                .check(reflex);
    }

    @Test
    void schemasAndAdminStandAlone() {
        onlyDependsOnReflex("schemas");
        onlyDependsOnReflex("admin");
    }

    @Test
    void theRuleEngineKnowsNothingOfKafka() {
        onlyDependsOnReflex("rules", "schemas");
        noClasses()
                .that()
                .resideInAPackage("dev.reflex.rules..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("org.apache.kafka..")
                .check(reflex);
    }

    private static void rulesPackageUses(String sub, String... allowed) {
        List<String> others = new ArrayList<>(List.of("dev.reflex.rules"));
        for (String p : List.of("expr", "yaml", "systems", "correlate", "flow", "files")) {
            if (!p.equals(sub) && !Arrays.asList(allowed).contains(p)) {
                others.add("dev.reflex.rules." + p + "..");
            }
        }
        if (Arrays.asList(allowed).contains("rules")) {
            others.remove("dev.reflex.rules");
        }
        noClasses()
                .that()
                .resideInAPackage("dev.reflex.rules." + sub + "..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(others.toArray(String[]::new))
                .because("rules." + sub + " may use only "
                        + (allowed.length == 0 ? "nothing else of rules" : String.join(", ", allowed)))
                .check(reflex);
    }

    @Test
    void insideTheRulesEachIdeaHasItsPackage() {
        rulesPackageUses("expr");
        rulesPackageUses("yaml");
        rulesPackageUses("systems", "expr", "yaml");
        rulesPackageUses("correlate", "rules", "expr");
        rulesPackageUses("flow", "rules", "expr", "systems");
        noClasses()
                .that()
                .resideInAPackage("dev.reflex.rules")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("dev.reflex.rules.files..", "dev.reflex.rules.yaml..")
                .because("the rule book and evaluation do not read files")
                .check(reflex);
    }

    @Test
    void theTopologyKnowsNoProcess() {
        onlyDependsOnReflex("topology", "rules", "schemas");
    }

    @Test
    void topologyInternalsStayInTheTopology() {
        classes()
                .that()
                .resideInAnyPackage("dev.reflex.topology.internals..", "dev.reflex.topology.keyed..")
                .should()
                .onlyBeAccessed()
                .byClassesThat()
                .resideInAPackage("dev.reflex.topology..")
                .check(reflex);
    }

    @Test
    void theEngineProcessAndTheAuditAreApart() {
        onlyDependsOnReflex("engine", "topology", "rules", "schemas", "admin");
        onlyDependsOnReflex("audit", "rules", "schemas");
    }

    @Test
    void connectorsAndActorsUseOnlySchemasAndAdmin() {
        onlyDependsOnReflex("connectors", "schemas", "admin");
        onlyDependsOnReflex("actors", "schemas", "admin");
    }

    @Test
    void theAuditReadsHistoryBelowWhatItDoesWithIt() {
        noClasses()
                .that()
                .resideInAPackage("dev.reflex.audit.history..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "dev.reflex.audit.replay..", "dev.reflex.audit.explain..", "dev.reflex.audit.publish..")
                .because("reading history knows nothing of what is done with it")
                .check(reflex);
        noClasses()
                .that()
                .resideInAPackage("dev.reflex.audit.publish..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("dev.reflex.audit.replay..", "dev.reflex.audit.explain..")
                .check(reflex);
    }

    @Test
    void eachSourceStandsAlone() {
        noClasses()
                .that()
                .resideInAPackage("dev.reflex.connectors.timer..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("dev.reflex.connectors.webhook..")
                .check(reflex);
        noClasses()
                .that()
                .resideInAPackage("dev.reflex.connectors.webhook..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("dev.reflex.connectors.timer..")
                .check(reflex);
        ArchCondition<JavaClass> noOtherSource = new ArchCondition<>("depend on no other webhook source") {
            @Override
            public void check(JavaClass source, ConditionEvents events) {
                source.getDirectDependenciesFromSelf().stream()
                        .filter(d -> !d.getTargetClass().equals(source)
                                && !d.getTargetClass().isEquivalentTo(WebhookSource.class)
                                && d.getTargetClass().isAssignableTo(WebhookSource.class))
                        .forEach(d -> events.add(SimpleConditionEvent.violated(d, d.getDescription())));
            }
        };
        classes().that().implement(WebhookSource.class).should(noOtherSource).check(reflex);
    }

    @Test
    void theCommandLineCarriesNoBrokerOrRegistry() {
        onlyDependsOnReflex("cli", "schemas", "admin", "rules", "topology", "engine", "audit", "connectors", "actors");
        noClasses()
                .that()
                .resideInAnyPackage(
                        "dev.reflex.cli..", "dev.reflex.engine..", "dev.reflex.connectors..", "dev.reflex.actors..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("kafka.server..", "org.apache.kafka.server..", "io.apicurio..")
                .check(reflex);
    }

    @Test
    void theDevEnvironmentIsALeaf() {
        onlyDependsOnReflex(
                "dev",
                "cli",
                "embedded",
                "schemas",
                "admin",
                "rules",
                "topology",
                "engine",
                "audit",
                "connectors",
                "actors");
    }
}
