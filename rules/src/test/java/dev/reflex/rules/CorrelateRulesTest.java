package dev.reflex.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.reflex.rules.correlate.CompiledCorrelation;
import dev.reflex.rules.files.RuleFiles;
import dev.reflex.schemas.Rule;

/** The correlate block as rule files write it: what is accepted, and each refusal with its line and reason. */
class CorrelateRulesTest {
    private static RuleFiles.Loaded parse(String correlate) {
        return RuleFiles.parse(
                "c.yaml",
                "id: c\nwhen: {source: s, type: t}\ncorrelate:\n" + correlate
                        + "then:\n  - {system: ops, action: page, params: {n: '${correlation.count}'}}\n");
    }

    private static String problem(String correlate) {
        RuleFiles.Loaded loaded = parse(correlate);
        assertThat(loaded.problems()).hasSize(1);
        return loaded.problems().get(0).toString();
    }

    @Test
    void theIssuesExampleIsAccepted() {
        RuleFiles.Loaded loaded =
                parse("  key: ${event.subject}\n  count: {atLeast: 3, within: 10m}\n  throttle: {max: 1, per: 30m}\n");
        assertThat(loaded.problems()).isEmpty();
        Rule rule = loaded.rules().get(0);
        assertThat(rule.getCorrelate().getCount().getAtLeast()).isEqualTo(3);
        CompiledCorrelation c = CompiledRule.compile(rule).correlation();
        assertThat(c.countWithinMs()).isEqualTo(600_000);
        assertThat(c.throttlePerMs()).isEqualTo(1_800_000);
        assertThat(c.latenessMs()).isEqualTo(CompiledCorrelation.DEFAULT_LATENESS_MS);
    }

    @Test
    void meaninglessCombinationsAreRefusedWithTheReasonAndLine() {
        assertThat(problem("  key: ${event.subject}\n"))
                .isEqualTo(
                        "c.yaml:4: correlate: 'correlate' needs at least one of count, throttle, debounce, unless, after;"
                                + " a key alone changes nothing");
        assertThat(problem("  debounce: 2m\n  unless: {type: resolved, within: 5m}\n"))
                .startsWith("c.yaml:4: correlate.debounce: debounce and unless both set a deadline");
        assertThat(problem("  debounce: 2m\n  count: {atLeast: 2, within: 1m}\n"))
                .startsWith("c.yaml:4: correlate.debounce: debounce and count cannot be combined");
        assertThat(problem("  debounce: 2m\n  lateness: 1m\n"))
                .startsWith("c.yaml:5: correlate.lateness: lateness applies to windows that follow event time");
        assertThat(problem("  count: {atLeast: 1, within: 1m}\n"))
                .isEqualTo(
                        "c.yaml:4: correlate.count.atLeast: atLeast must be from 2 to 1000, not 1 (1 fires on every event: leave count out)");
        assertThat(problem("  count: {atLeast: three, within: 1m}\n"))
                .isEqualTo("c.yaml:4: 'correlate.count.atLeast' must be a whole number, not 'three'");
        assertThat(problem("  count: {atLeast: 3}\n"))
                .isEqualTo("c.yaml:4: 'correlate.count' needs 'within' (it takes atLeast and within)");
        assertThat(problem("  throttle: {max: 1, per: soon}\n"))
                .startsWith("c.yaml:4: correlate.throttle.per: 'soon' is not a duration");
        assertThat(problem("  unless: {type: resolved}\n")).startsWith("c.yaml:4: 'correlate.unless' needs 'within'");
        assertThat(problem("  unless: {within: 5m}\n"))
                .isEqualTo("c.yaml:4: correlate.unless: needs a source and/or type: which events does it watch?");
        assertThat(problem("  after: {source: s, type: t, within: 5m}\n"))
                .startsWith("c.yaml:4: correlate.after: watches the very events the rule's 'when' matches");
        assertThat(problem("  after: {type: deploy, condition: 'event.x ==', within: 5m}\n"))
                .isEqualTo("c.yaml:4: correlate.after.condition: the expression ends with an operator");
        assertThat(problem("  windw: 5m\n"))
                .startsWith(
                        "c.yaml:4: unknown field 'windw' in 'correlate'; expected one of after, count, debounce, key, lateness, throttle, unless");
    }

    @Test
    void aRuleWithoutCorrelateCannotReadCorrelationValues() {
        RuleFiles.Loaded loaded = RuleFiles.parse(
                "p.yaml",
                "id: p\nwhen: {type: t}\nthen:\n  - {system: ops, action: a, params: {n: '${correlation.count}'}}\n");
        assertThat(loaded.problems())
                .singleElement()
                .hasToString("p.yaml:4: then[0].params.n: reads correlation.*, which only a rule with 'correlate' has");
    }

    @Test
    void aRuleWithoutCorrelateKeepsTheVersionItHadBeforeCorrelationExisted() {
        Rule rule =
                RuleFiles.parse("p.yaml", "id: p\nwhen: {type: t}\n").rules().get(0);
        String text = Rule.newBuilder(rule)
                .setVersion("")
                .setOrigin(null)
                .setUses(List.of())
                .build()
                .toString();
        assertThat(text).endsWith(", \"correlate\": null, \"flow\": null}");
        // the hash of the record as it was written before the correlate and flow fields were added
        String before = text.substring(0, text.length() - ", \"correlate\": null, \"flow\": null}".length()) + "}";
        assertThat(rule.getVersion()).isEqualTo(sha(before));
    }

    private static String sha(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
