package dev.reflex.rules.yaml;

import java.io.StringReader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * The one YAML reader of rule, flow and system files: SnakeYAML's safe composer with limits (few aliases, no duplicate
 * keys, 1 MiB of text), and fields read from its node tree with the line each stands on, so every problem is
 * {@code file:line: reason}. Readers throw {@link ProblemAt}; {@link #documents} turns it into a {@link Problem} and goes
 * on with the next document.
 */
public final class YamlReader {
    private static final int MAX_CODE_POINTS = 1024 * 1024;

    private YamlReader() {}

    /**
     * Gives each non-empty document of {@code text} to {@code read}; what it throws as {@link ProblemAt}, and text that is
     * not YAML, become problems of {@code file}.
     */
    public static void documents(String file, String text, Consumer<Node> read, List<Problem> problems) {
        LoaderOptions options = new LoaderOptions();
        options.setMaxAliasesForCollections(10);
        options.setAllowDuplicateKeys(false);
        options.setCodePointLimit(MAX_CODE_POINTS);
        Yaml yaml = new Yaml(new SafeConstructor(options));
        try {
            for (Node document : yaml.composeAll(new StringReader(text))) {
                if (document == null || document instanceof ScalarNode empty && isNull(empty)) {
                    continue;
                }
                try {
                    read.accept(document);
                } catch (ProblemAt e) {
                    problems.add(e.in(file));
                }
            }
        } catch (MarkedYAMLException e) {
            int line = e.getProblemMark() == null ? 1 : e.getProblemMark().getLine() + 1;
            problems.add(new Problem(file, line, "not valid YAML: " + e.getProblem()));
        } catch (YAMLException e) {
            String message = String.valueOf(e.getMessage());
            problems.add(new Problem(
                    file, 1, "not valid YAML: " + message.lines().findFirst().orElse(message)));
        }
    }

    /** The fields of a mapping, in order; {@code allowed} null takes any field name. */
    public static Map<String, Node> mapping(Node node, String what, Set<String> allowed) {
        if (!(node instanceof MappingNode map)) {
            throw new ProblemAt(node, what + " must be a mapping of fields");
        }
        Map<String, Node> fields = new LinkedHashMap<>();
        for (NodeTuple tuple : map.getValue()) {
            if (!(tuple.getKeyNode() instanceof ScalarNode key)) {
                throw new ProblemAt(tuple.getKeyNode(), "field names must be plain text");
            }
            if (allowed != null && !allowed.contains(key.getValue())) {
                throw new ProblemAt(
                        key,
                        "unknown field '" + key.getValue() + "' in " + what + "; expected one of "
                                + String.join(", ", allowed.stream().sorted().toList()));
            }
            fields.put(key.getValue(), tuple.getValueNode());
        }
        return fields;
    }

    /** The line of each field name of a mapping (none when it is not one). */
    public static Map<String, Integer> keyLines(Node node) {
        Map<String, Integer> lines = new HashMap<>();
        if (node instanceof MappingNode map) {
            for (NodeTuple tuple : map.getValue()) {
                if (tuple.getKeyNode() instanceof ScalarNode key) {
                    lines.put(key.getValue(), line(key));
                }
            }
        }
        return lines;
    }

    public static String scalar(Node node, String field) {
        if (!(node instanceof ScalarNode scalar)) {
            throw new ProblemAt(node, "'" + field + "' must be a single value, not a list or mapping");
        }
        return scalar.getValue();
    }

    /** A single value, null when the field is absent or written as null. */
    public static String optionalScalar(Node node, String field) {
        if (node == null || node instanceof ScalarNode scalar && isNull(scalar)) {
            return null;
        }
        return scalar(node, field);
    }

    /** A mapping of single values, sorted by name. */
    public static Map<String, String> scalars(Node node, String what) {
        Map<String, String> values = new TreeMap<>();
        for (Map.Entry<String, Node> e : mapping(node, what, null).entrySet()) {
            values.put(e.getKey(), scalar(e.getValue(), what + "." + e.getKey()));
        }
        return values;
    }

    /**
     * The node as plain maps, lists and text (null for a null value), putting the line of each field into {@code lines}
     * by its path ({@code steps[1].do.params}).
     */
    public static Object plain(Node node, String path, Map<String, Integer> lines) {
        lines.putIfAbsent(path, line(node));
        if (node instanceof MappingNode map) {
            Map<String, Object> fields = new LinkedHashMap<>();
            for (NodeTuple tuple : map.getValue()) {
                if (!(tuple.getKeyNode() instanceof ScalarNode key)) {
                    throw new ProblemAt(tuple.getKeyNode(), "field names must be plain text");
                }
                String at = path.isEmpty() ? key.getValue() : path + "." + key.getValue();
                lines.put(at, line(key));
                fields.put(key.getValue(), plain(tuple.getValueNode(), at, lines));
            }
            return fields;
        }
        if (node instanceof SequenceNode sequence) {
            List<Object> items = new ArrayList<>();
            for (int i = 0; i < sequence.getValue().size(); i++) {
                items.add(plain(sequence.getValue().get(i), path + "[" + i + "]", lines));
            }
            return items;
        }
        ScalarNode scalar = (ScalarNode) node;
        return isNull(scalar) ? null : scalar.getValue();
    }

    /** The line of {@code field} in {@code lines}, or of the nearest enclosing field ({@code a.b} for {@code a.b[2].c}). */
    public static int lineOf(Map<String, Integer> lines, String field, int otherwise) {
        for (String f = field; !f.isEmpty(); f = parent(f)) {
            Integer line = lines.get(f);
            if (line != null) {
                return line;
            }
        }
        return otherwise;
    }

    private static String parent(String path) {
        int cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
        return cut <= 0 ? "" : path.substring(0, cut);
    }

    public static int line(Node node) {
        return node.getStartMark().getLine() + 1;
    }

    private static boolean isNull(ScalarNode scalar) {
        return scalar.getTag().getValue().endsWith(":null");
    }
}
