package dev.reflex.rules.files;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;

import dev.reflex.rules.systems.SystemCatalog;
import dev.reflex.rules.systems.Systems;
import dev.reflex.rules.yaml.Problem;
import dev.reflex.rules.yaml.ProblemAt;
import dev.reflex.rules.yaml.YamlReader;
import dev.reflex.schemas.Rule;

/**
 * Reads rules and flows ({@code kind: flow}, see {@link FlowReader}) from YAML files (one per YAML document; {@code ---} separates several in one file), checks
 * and compiles each, and reports every problem as {@code file:line: reason}. A rule's version is the hash of its
 * content, so an unchanged rule keeps its version.
 */
public final class RuleFiles {
    /**
     * The rules read, the systems catalog of the directory's {@code systems/} files, and every problem found; rules
     * with problems are not among the rules.
     */
    public record Loaded(List<Rule> rules, List<Problem> problems, SystemCatalog catalog) {
        public Loaded(List<Rule> rules, List<Problem> problems) {
            this(rules, problems, SystemCatalog.EMPTY);
        }

        public boolean ok() {
            return problems.isEmpty();
        }
    }

    private RuleFiles() {}

    /** Loads every {@code .yaml}/{@code .yml} file under {@code path} (or the one file), in path order. */
    public static Loaded load(Path path) throws IOException {
        List<Path> files;
        Path systemsDir = path.resolve(Systems.DIR);
        if (Files.isDirectory(path)) {
            try (Stream<Path> walk = Files.walk(path)) {
                files = walk.filter(Files::isRegularFile)
                        .filter(p -> p.getFileName().toString().matches(".*\\.ya?ml"))
                        .filter(p -> !p.startsWith(systemsDir))
                        .sorted()
                        .toList();
            }
        } else {
            files = List.of(path);
        }
        List<Rule> rules = new ArrayList<>();
        List<Problem> problems = new ArrayList<>();
        Systems systems = Systems.NONE;
        if (Files.isDirectory(systemsDir)) {
            Systems.Loaded loadedSystems = Systems.load(systemsDir);
            problems.addAll(loadedSystems.problems());
            systems = loadedSystems.systems();
        }
        Map<String, String> seen = new HashMap<>();
        for (Path file : files) {
            String name = file.toString();
            Loaded loaded = parse(name, Files.readString(file, StandardCharsets.UTF_8), systems);
            problems.addAll(loaded.problems());
            for (Rule rule : loaded.rules()) {
                String where = seen.putIfAbsent(rule.getId(), rule.getOrigin());
                if (where != null) {
                    problems.add(new Problem(
                            name,
                            lineOf(rule.getOrigin()),
                            "duplicate rule id '" + rule.getId() + "' (also at " + where + ")"));
                } else {
                    rules.add(rule);
                }
            }
        }
        return new Loaded(rules, problems, systems.catalog());
    }

    private static int lineOf(String origin) {
        int colon = origin.lastIndexOf(':');
        try {
            return Integer.parseInt(origin.substring(colon + 1));
        } catch (RuntimeException e) {
            return 1;
        }
    }

    /** Parses the rules in one file's text; {@code fileName} is used in problems and as the rules' origin. */
    public static Loaded parse(String fileName, String yamlText) {
        return parse(fileName, yamlText, Systems.NONE);
    }

    /** As {@link #parse(String, String)}, resolving named events and actions against {@code systems}. */
    public static Loaded parse(String fileName, String yamlText, Systems systems) {
        List<Rule> rules = new ArrayList<>();
        List<Problem> problems = new ArrayList<>();
        YamlReader.documents(
                fileName,
                yamlText,
                document -> {
                    String kind = kindOf(document);
                    if (kind == null) {
                        rules.add(new RuleReader(fileName, systems).read(document));
                    } else if (kind.equals("flow")) {
                        rules.add(new FlowReader().read(document, fileName + ":" + line(document), systems));
                    } else {
                        throw new ProblemAt(
                                document,
                                "kind '" + kind
                                        + "' is not known; a document is a rule (no kind) or a flow (kind: flow)");
                    }
                },
                problems);
        return new Loaded(rules, problems);
    }

    /** The document's {@code kind}, or null when it has none (a rule). */
    private static String kindOf(Node document) {
        if (document instanceof MappingNode map) {
            for (NodeTuple tuple : map.getValue()) {
                if (tuple.getKeyNode() instanceof ScalarNode key
                        && key.getValue().equals("kind")
                        && tuple.getValueNode() instanceof ScalarNode value) {
                    return value.getValue();
                }
            }
        }
        return null;
    }

    /** The content hash that is a rule's version: the same content always gives the same version. */
    public static String versionOf(Rule rule) {
        Rule content = Rule.newBuilder(rule)
                .setVersion("")
                .setOrigin(null)
                .setUses(List.of())
                .build();
        String text = content.toString();
        // fields added later are last: a rule without them hashes as it did before they existed
        for (String absent : new String[] {", \"flow\": null}", ", \"correlate\": null}"}) {
            if (text.endsWith(absent)) {
                text = text.substring(0, text.length() - absent.length()) + "}";
            }
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by the Java platform", e);
        }
    }

    private static int line(Node node) {
        return YamlReader.line(node);
    }
}
