package dev.reflex.rules;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.reflex.schemas.Rule;
import dev.reflex.schemas.RuleTrigger;

/**
 * Reads a flow document ({@code kind: flow}) into a rule record: the document as plain maps, lists and text (kept on
 * the record as canonical JSON, so the version is a hash of the content, not of comments or layout), checked by
 * {@link CompiledFlow#compile}, with each problem at the line of the field it concerns.
 */
final class FlowReader {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A problem at a line. */
    static final class Problem extends RuntimeException {
        final int line;

        Problem(int line, String message) {
            super(message);
            this.line = line;
        }
    }

    private final Map<String, Integer> lines = new HashMap<>();

    /** The flow in {@code document} as a rule: its start trigger as {@code when}, its definition as {@code flow}. */
    Rule read(Node document, String origin, Systems systems) {
        Object tree = plain(document, "");
        if (!(tree instanceof Map<?, ?> root)) {
            throw new Problem(line(document), "a flow must be a mapping of fields");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> flow = (Map<String, Object>) root;
        Rule rule;
        try {
            RuleTrigger when = CompiledFlow.startTrigger(flow, systems);
            String enabled = flow.get("enabled") == null ? "true" : flow.get("enabled").toString();
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
            throw new Problem(lineOf(e.field(), line(document)), (e.field().isEmpty() ? "" : e.field() + ": ") + e.reason());
        } catch (JsonProcessingException e) {
            throw new Problem(line(document), "the flow cannot be written as JSON: " + e.getOriginalMessage());
        }
        rule.setVersion(RuleFiles.versionOf(rule));
        return rule;
    }

    /** The document as maps, lists and text, remembering the line of each field by its path ({@code steps[1].do.params}). */
    private Object plain(Node node, String path) {
        lines.putIfAbsent(path, line(node));
        if (node instanceof MappingNode map) {
            Map<String, Object> fields = new LinkedHashMap<>();
            for (NodeTuple tuple : map.getValue()) {
                if (!(tuple.getKeyNode() instanceof ScalarNode key)) {
                    throw new Problem(line(tuple.getKeyNode()), "field names must be plain text");
                }
                String at = path.isEmpty() ? key.getValue() : path + "." + key.getValue();
                lines.put(at, line(key));
                fields.put(key.getValue(), plain(tuple.getValueNode(), at));
            }
            return fields;
        }
        if (node instanceof SequenceNode sequence) {
            List<Object> items = new ArrayList<>();
            for (int i = 0; i < sequence.getValue().size(); i++) {
                items.add(plain(sequence.getValue().get(i), path + "[" + i + "]"));
            }
            return items;
        }
        ScalarNode scalar = (ScalarNode) node;
        return scalar.getTag().getValue().endsWith(":null") ? null : scalar.getValue();
    }

    /** The line of a field, or of the nearest enclosing field. */
    private int lineOf(String field, int otherwise) {
        for (String f = field; !f.isEmpty(); f = parent(f)) {
            Integer line = lines.get(f);
            if (line != null) {
                return line;
            }
        }
        return otherwise;
    }

    private static String parent(String path) {
        int dot = path.lastIndexOf('.');
        int bracket = path.lastIndexOf('[');
        int cut = Math.max(dot, bracket);
        return cut <= 0 ? "" : path.substring(0, cut);
    }

    private static int line(Node node) {
        return node.getStartMark().getLine() + 1;
    }
}
