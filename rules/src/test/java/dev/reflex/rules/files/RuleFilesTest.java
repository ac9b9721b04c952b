package dev.reflex.rules.files;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RuleFilesTest {

    @Test
    void aBadConditionIsReportedAtItsLineWithTheReason() {
        RuleFiles.Loaded loaded = RuleFiles.parse("rules/bad.yaml", """
            id: bad
            description: tries to run a command
            when:
              type: cpu.high
              condition: Runtime.getRuntime().exec('id')
            """);
        assertThat(loaded.rules()).isEmpty();
        assertThat(loaded.problems())
                .singleElement()
                .hasToString(
                        "rules/bad.yaml:5: when.condition: unknown name 'Runtime' at column 1: "
                                + "expressions can read only 'event', 'registers' and, in a correlation rule, 'correlation', in a flow, 'context', 'result', 'item' and 'loop' (and use true, false, null)");
    }

    @Test
    void aBadTemplateInTheThirdThenItemNamesThatItemAndLine() {
        RuleFiles.Loaded loaded = RuleFiles.parse("r.yaml", """
            id: t
            when: {type: x}
            then:
              - system: ops
                action: a
              - set: counter
                value: "1"
              - system: chat
                action: say
                params:
                  text: "hello ${event.type.toUpperCase()}"
            """);
        assertThat(loaded.problems()).singleElement().satisfies(p -> {
            assertThat(p.line()).isEqualTo(11);
            assertThat(p.message()).startsWith("then[2].params.text: in '${...}' at column 7: a call at column");
        });
    }

    @Test
    void structuralMistakesAreReportedWithLines() {
        assertThat(RuleFiles.parse("a.yaml", "id: a\nwhen: {type: x}\nthn: []\n")
                        .problems())
                .singleElement()
                .hasToString(
                        "a.yaml:3: unknown field 'thn' in a rule; expected one of correlate, description, enabled, id, then, when");
        assertThat(RuleFiles.parse("b.yaml", "description: no id\nwhen: {type: x}\n")
                        .problems())
                .singleElement()
                .hasToString("b.yaml:1: a rule needs an 'id'");
        assertThat(RuleFiles.parse("c.yaml", "id: c\nwhen: {type: x}\nthen:\n  - system: ops\n")
                        .problems())
                .singleElement()
                .hasToString("c.yaml:4: an action needs both 'system' and 'action'");
        assertThat(RuleFiles.parse("d.yaml", "id: d\nwhen: [oops\n").problems())
                .singleElement()
                .satisfies(p -> assertThat(p.message()).startsWith("not valid YAML"));
        assertThat(RuleFiles.parse("e.yaml", "id: e\nenabled: yes please\nwhen: {type: x}\n")
                        .problems())
                .singleElement()
                .hasToString("e.yaml:2: 'enabled' must be true or false, not 'yes please'");
        assertThat(RuleFiles.parse(
                                "g.yaml",
                                "id: g\nwhen: {type: x}\nthen:\n  - set: r\n    value: v\n    ttl: 10 minutes\n")
                        .problems())
                .singleElement()
                .hasToString(
                        "g.yaml:6: then[0].ttl: '10 minutes' is not a duration; write a number and a unit: 500ms, 30s, 10m, 2h, 7d");
        assertThat(RuleFiles.parse("f.yaml", "id: 'bad id!'\nwhen: {type: x}\n").problems())
                .singleElement()
                .satisfies(p -> assertThat(p.toString()).startsWith("f.yaml:1: id: id 'bad id!' must be"));
    }

    @Test
    void severalRulesPerFileDuplicatesAcrossFilesAndStableVersions(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("a.yaml"), "---\nid: one\nwhen: {type: x}\n---\nid: two\nwhen: {type: y}\n---\n");
        Files.createDirectories(dir.resolve("sub"));
        Files.writeString(dir.resolve("sub/b.yml"), "id: one\nwhen: {type: z}\n");
        Files.writeString(dir.resolve("notes.txt"), "not a rule");
        RuleFiles.Loaded loaded = RuleFiles.load(dir);
        assertThat(loaded.rules()).extracting(r -> r.getId()).containsExactly("one", "two");
        assertThat(loaded.problems()).singleElement().satisfies(p -> {
            assertThat(p.file()).endsWith("b.yml");
            assertThat(p.message()).contains("duplicate rule id 'one'").contains("a.yaml:2");
        });
        RuleFiles.Loaded again = RuleFiles.load(dir);
        assertThat(again.rules().get(0).getVersion())
                .isEqualTo(loaded.rules().get(0).getVersion())
                .hasSize(12);
    }
}
