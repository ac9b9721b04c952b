package dev.reflex.rules.systems;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.reflex.rules.files.RuleFiles;
import dev.reflex.rules.yaml.Problem;
import dev.reflex.schemas.ActionTemplate;
import dev.reflex.schemas.Rule;

class SystemsTest {

    @Test
    void namedEventsAndActionsResolveIntoPlainRulesThatRememberWhereTheyCameFrom() throws Exception {
        RuleFiles.Loaded loaded = RuleFiles.load(Path.of("..", "examples", "rules"));
        assertThat(loaded.problems()).isEmpty();
        Rule restart = loaded.rules().stream()
                .filter(r -> r.getId().equals("restart-oom-pods"))
                .findFirst()
                .orElseThrow();
        assertThat(restart.getWhen().getSource()).isEqualTo("k8s-prod");
        assertThat(restart.getWhen().getType()).isEqualTo("pod.oom");
        assertThat(restart.getWhen().getCondition())
                .isEqualTo("(event.data.namespace != 'kube-system') && (event.data.restarts < 3)");
        ActionTemplate action = restart.getActions().get(0);
        assertThat(action.getSystem()).isEqualTo("k8s");
        assertThat(action.getAction()).isEqualTo("restart-pod");
        assertThat(action.getTarget()).isEqualTo("${event.subject}");
        assertThat(action.getParams())
                .containsExactlyInAnyOrderEntriesOf(
                        Map.of("namespace", "${event.data.namespace}", "labels.env", "prod"));
        assertThat(restart.getUses())
                .satisfiesExactly(
                        u -> assertThat(u)
                                .startsWith("event prod-cluster.pod-oom (")
                                .endsWith("kubernetes.yaml:13)"),
                        u -> assertThat(u)
                                .startsWith("action prod-cluster.restart-pod (")
                                .endsWith("kubernetes.yaml:18)"));

        Rule page = loaded.rules().stream()
                .filter(r -> r.getId().equals("page-on-repeated-oom"))
                .findFirst()
                .orElseThrow();
        assertThat(page.getActions().get(0).getSystem()).isEqualTo("pagerduty");
        assertThat(page.getActions().get(0).getParams())
                .containsEntry("severity", "critical")
                .containsEntry("summary", "${event.subject} ran out of memory ${event.data.restarts} times");
    }

    @Test
    void swappingTheToolInOneSystemFileChangesEveryRuleThatUsesIt(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("systems"));
        Files.writeString(
                dir.resolve("systems/oncall.yaml"),
                "system: oncall\nactions:\n  page: {system: pagerduty, action: trigger}\n");
        Files.writeString(dir.resolve("a.yaml"), "id: a\nwhen: {type: x}\nthen:\n  - do: oncall.page\n");
        Files.writeString(dir.resolve("b.yaml"), "id: b\nwhen: {type: y}\nthen:\n  - do: oncall.page\n");
        var before = RuleFiles.load(dir).rules();
        Files.writeString(
                dir.resolve("systems/oncall.yaml"),
                "system: oncall\nactions:\n  page: {system: opsgenie, action: alert}\n");
        var after = RuleFiles.load(dir).rules();
        for (int i = 0; i < 2; i++) {
            assertThat(after.get(i).getActions().get(0).getSystem()).isEqualTo("opsgenie");
            assertThat(after.get(i).getVersion()).isNotEqualTo(before.get(i).getVersion());
        }
    }

    @Test
    void mistakesInSystemsAndReferencesAreReportedWithLines(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("systems"));
        Files.writeString(dir.resolve("systems/s.yaml"), """
            system: s
            events:
              a: {extends: s.b, type: t}
              b: {extends: s.a}
              c: {extends: s.missing}
              d: {type: t, condition: "Runtime.exec()"}
            actions:
              nothing: {action: x}
            """);
        Files.writeString(
                dir.resolve("r.yaml"), "id: r\nwhen:\n  event: s.nope\n---\nid: q\nwhen: {event: s.d, source: x}\n");
        RuleFiles.Loaded loaded = RuleFiles.load(dir);
        assertThat(loaded.problems())
                .extracting(Problem::toString)
                .anySatisfy(p -> assertThat(p).contains("s.yaml:6: s.d.condition: unknown name 'Runtime'"));
        assertThat(loaded.problems())
                .extracting(Problem::toString)
                .contains(
                        dir.resolve("systems/s.yaml") + ":3: 'extends' goes round in a circle through s.a",
                        dir.resolve("systems/s.yaml") + ":5: s.c extends unknown event 's.missing'",
                        dir.resolve("systems/s.yaml") + ":8: action s.nothing needs a system and an action",
                        dir.resolve("r.yaml") + ":6: use either 'event' or 'source'/'type' in 'when', not both");
        assertThat(loaded.problems())
                .extracting(Problem::toString)
                .anySatisfy(p -> assertThat(p).startsWith(dir.resolve("r.yaml") + ":3: unknown event 's.nope'; "));
    }
}
