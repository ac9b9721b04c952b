package dev.reflex.rules.files;

import java.util.HashMap;
import java.util.Map;

import org.yaml.snakeyaml.nodes.Node;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.reflex.rules.CompiledRule;
import dev.reflex.rules.expr.RuleException;
import dev.reflex.rules.flow.CompiledFlow;
import dev.reflex.rules.systems.Systems;
import dev.reflex.rules.yaml.ProblemAt;
import dev.reflex.rules.yaml.YamlReader;
import dev.reflex.schemas.Rule;
import dev.reflex.schemas.RuleTrigger;

/**
 * Reads a flow document ({@code kind: flow}) into a rule record: the document as plain maps, lists and text (kept on
 * the record as canonical JSON, so the version is a hash of the content, not of comments or layout), checked by
 * {@link CompiledFlow#compile}, with each problem at the line of the field it concerns.
 */
final class FlowReader {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, Integer> lines = new HashMap<>();

    /** The flow in {@code document} as a rule: its start trigger as {@code when}, its definition as {@code flow}. */
    Rule read(Node document, String origin, Systems systems) {
        Object tree = YamlReader.plain(document, "", lines);
        if (!(tree instanceof Map<?, ?> root)) {
            throw new ProblemAt(document, "a flow must be a mapping of fields");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> flow = (Map<String, Object>) root;
        Rule rule;
        try {
            RuleTrigger when = CompiledFlow.startTrigger(flow, systems);
            String enabled =
                    flow.get("enabled") == null ? "true" : flow.get("enabled").toString();
            rule = Rule.newBuilder()
                    .setId((String) flow.get("id"))
                    .setVersion("")
                    .setDescription((String) flow.get("description"))
                    .setEnabled(Boolean.parseBoolean(enabled))
                    .setWhen(when)
                    .setOrigin(origin)
                    .setFlow(JSON.writeValueAsString(flow))
                    .build();
            CompiledRule.compile(rule);
        } catch (RuleException e) {
            throw new ProblemAt(
                    YamlReader.lineOf(lines, e.field(), YamlReader.line(document)),
                    (e.field().isEmpty() ? "" : e.field() + ": ") + e.reason());
        } catch (JsonProcessingException e) {
            throw new ProblemAt(document, "the flow cannot be written as JSON: " + e.getOriginalMessage());
        }
        rule.setVersion(RuleFiles.versionOf(rule));
        return rule;
    }
}
