package dev.reflex.rules.systems;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

import dev.reflex.rules.expr.Durations;
import dev.reflex.rules.expr.RuleException;
import dev.reflex.rules.yaml.Problem;
import dev.reflex.rules.yaml.ProblemAt;
import dev.reflex.rules.yaml.YamlReader;
import dev.reflex.schemas.Rate;
import dev.reflex.schemas.SystemDef;
import dev.reflex.schemas.SystemLimits;
import dev.reflex.schemas.SystemMatch;

/**
 * The catalog part of system files: what each system says of itself (description, labels, {@code includes},
 * {@code match}, {@code mask}), read with lines, and checked as a whole: includes name known systems and go round in no
 * circle. {@link Systems} reads the named events and actions of the same files.
 */
final class SystemEntries {
    private static final Set<String> MATCH_KEYS = Set.of("source", "type", "subject", "labels");
    private static final Set<String> LIMITS_KEYS = Set.of("target", "system");
    private static final Set<String> TARGET_LIMITS_KEYS = Set.of("rate", "concurrency");
    private static final Set<String> SYSTEM_LIMITS_KEYS = Set.of("rate", "concurrency");
    private static final Pattern RATE = Pattern.compile("(\\d{1,9})\\s*/\\s*(\\d*)\\s*(ms|s|m|h|d)");

    private SystemEntries() {}

    /** What one system declares about itself, with the lines to name in problems. */
    static final class Entry {
        final String name;
        final String file;
        final int line;
        String description;
        final Map<String, String> labels = new TreeMap<>();
        final List<String> includes = new ArrayList<>();
        final Map<String, Integer> includeLines = new HashMap<>();
        final List<SystemMatch> match = new ArrayList<>();
        final List<String> mask = new ArrayList<>();
        SystemLimits limits;
        String declaredAt;

        Entry(String name, String file, int line) {
            this.name = name;
            this.file = file;
            this.line = line;
        }
    }

    /** The catalog of every system named, once includes are checked: known systems only, and no cycle. */
    static SystemCatalog catalog(Map<String, Entry> entries, List<Problem> problems) {
        Map<String, List<String>> includes = new TreeMap<>();
        for (Entry entry : entries.values()) {
            List<String> known = new ArrayList<>();
            for (String child : entry.includes) {
                int at = entry.includeLines.get(child);
                if (child.equals(entry.name)) {
                    problems.add(new Problem(entry.file, at, "system " + entry.name + " includes itself"));
                } else if (!entries.containsKey(child)) {
                    problems.add(new Problem(
                            entry.file,
                            at,
                            "system " + entry.name + " includes unknown system '" + child + "'; known: "
                                    + String.join(", ", new TreeSet<>(entries.keySet()))));
                } else {
                    known.add(child);
                }
            }
            includes.put(entry.name, known);
        }
        List<String> cycle = SystemCatalog.cycle(includes);
        if (!cycle.isEmpty()) {
            Entry first = entries.get(cycle.get(0));
            problems.add(new Problem(
                    first.file,
                    first.includeLines.getOrDefault(cycle.get(1), first.line),
                    "includes go round in a circle: " + String.join(" -> ", cycle)));
            return SystemCatalog.EMPTY;
        }
        List<SystemDef> definitions = new ArrayList<>();
        for (Entry entry : entries.values()) {
            SystemDef def = SystemDef.newBuilder()
                    .setName(entry.name)
                    .setVersion("")
                    .setDescription(entry.description)
                    .setIncludes(includes.get(entry.name))
                    .setMatch(entry.match)
                    .setMask(entry.mask)
                    .setLabels(entry.labels)
                    .setOrigin(entry.file + ":" + entry.line)
                    .setLimits(entry.limits)
                    .build();
            def.setVersion(SystemCatalog.versionOf(def));
            definitions.add(def);
        }
        return SystemCatalog.of(definitions);
    }

    /** The system's own fields: description, labels, includes, match, mask (declared in one place only). */
    static void read(
            String file, String system, int line, Map<String, Node> fields, Map<String, String> labels, Entry entry) {
        boolean declares = fields.containsKey("includes")
                || fields.containsKey("match")
                || fields.containsKey("mask")
                || fields.containsKey("limits")
                || fields.containsKey("description");
        if (declares && entry.declaredAt != null) {
            throw new ProblemAt(
                    file,
                    line,
                    "system " + system + " is described twice (includes, match, mask, limits or description; also at "
                            + entry.declaredAt + ")");
        }
        if (declares) {
            entry.declaredAt = file + ":" + line;
        }
        entry.labels.putAll(labels);
        if (fields.containsKey("description")) {
            entry.description = YamlReader.scalar(fields.get("description"), system + ".description");
        }
        for (Node include : list(file, fields.get("includes"), system + ".includes")) {
            String child = YamlReader.scalar(include, system + ".includes");
            if (entry.includeLines.putIfAbsent(child, YamlReader.line(include)) == null) {
                entry.includes.add(child);
            }
        }
        for (Node mask : list(file, fields.get("mask"), system + ".mask")) {
            entry.mask.add(YamlReader.scalar(mask, system + ".mask"));
        }
        if (fields.containsKey("limits")) {
            entry.limits = limits(file, system, fields.get("limits"));
        }
        Node match = fields.get("match");
        for (Node one : match instanceof MappingNode ? List.of(match) : list(file, match, system + ".match")) {
            Map<String, Node> m = YamlReader.mapping(one, system + ".match", MATCH_KEYS);
            if (m.isEmpty()) {
                throw new ProblemAt(
                        file,
                        YamlReader.line(one),
                        system + ".match: an entry needs at least one of labels, source, subject, type");
            }
            SystemMatch.Builder built = SystemMatch.newBuilder()
                    .setLabels(
                            m.containsKey("labels")
                                    ? YamlReader.scalars(m.get("labels"), system + ".match.labels")
                                    : Map.of());
            if (m.containsKey("source")) {
                built.setSource(YamlReader.scalar(m.get("source"), system + ".match.source"));
            }
            if (m.containsKey("type")) {
                built.setType(YamlReader.scalar(m.get("type"), system + ".match.type"));
            }
            if (m.containsKey("subject")) {
                built.setSubject(YamlReader.scalar(m.get("subject"), system + ".match.subject"));
            }
            entry.match.add(built.build());
        }
    }

    /**
     * {@code limits: {target: {rate: 5/1m}, system: {concurrency: 8, rate: 100/1m}}}: at most 5 actions of one target
     * started in any minute; across all the system's actors, at most 8 running at once and 100 started in any minute. A
     * target runs one action at a time always, so its concurrency can only be 1.
     */
    private static SystemLimits limits(String file, String system, Node node) {
        Map<String, Node> limits = YamlReader.mapping(node, system + ".limits", LIMITS_KEYS);
        SystemLimits.Builder built = SystemLimits.newBuilder();
        if (limits.containsKey("target")) {
            Map<String, Node> target =
                    YamlReader.mapping(limits.get("target"), system + ".limits.target", TARGET_LIMITS_KEYS);
            if (target.containsKey("rate")) {
                built.setTargetRate(rate(file, system + ".limits.target.rate", target.get("rate")));
            }
            if (target.containsKey("concurrency")
                    && count(file, system + ".limits.target.concurrency", target.get("concurrency")) != 1) {
                throw new ProblemAt(
                        file,
                        YamlReader.line(target.get("concurrency")),
                        system + ".limits.target.concurrency: a target runs one action at a time, in the engine's"
                                + " order; only 1 is allowed");
            }
        }
        if (limits.containsKey("system")) {
            Map<String, Node> whole =
                    YamlReader.mapping(limits.get("system"), system + ".limits.system", SYSTEM_LIMITS_KEYS);
            if (whole.containsKey("concurrency")) {
                built.setSystemConcurrency(
                        count(file, system + ".limits.system.concurrency", whole.get("concurrency")));
            }
            if (whole.containsKey("rate")) {
                built.setSystemRate(rate(file, system + ".limits.system.rate", whole.get("rate")));
            }
        }
        return built.build();
    }

    /** A whole number of actions at once, at least 1. */
    private static int count(String file, String field, Node node) {
        String text = YamlReader.scalar(node, field).strip();
        if (!text.matches("\\d{1,6}") || Integer.parseInt(text) < 1) {
            throw new ProblemAt(
                    file,
                    YamlReader.line(node),
                    field + ": '" + text + "' is not a number of actions at once; write a whole number from 1");
        }
        return Integer.parseInt(text);
    }

    /** {@code N/window}: 5/1m, 100/10s, 1/2h. */
    static Rate rate(String file, String field, Node node) {
        String text = YamlReader.scalar(node, field);
        Matcher m = RATE.matcher(text.strip());
        if (!m.matches()) {
            throw new ProblemAt(
                    file,
                    YamlReader.line(node),
                    field + ": '" + text + "' is not a rate; write a count and a window: 5/1m, 100/10s, 1/2h");
        }
        int count = Integer.parseInt(m.group(1));
        long window;
        try {
            window = Durations.parse((m.group(2).isEmpty() ? "1" : m.group(2)) + m.group(3), field);
        } catch (RuleException e) {
            throw new ProblemAt(file, YamlReader.line(node), field + ": the window must be more than zero");
        }
        if (count < 1) {
            throw new ProblemAt(file, YamlReader.line(node), field + ": a rate allows at least 1 action per window");
        }
        return new Rate(count, window);
    }

    /** The items of a YAML sequence (a single value counts as one); none when {@code node} is null. */
    private static List<Node> list(String file, Node node, String what) {
        if (node == null) {
            return List.of();
        }
        if (node instanceof ScalarNode) {
            return List.of(node);
        }
        if (node instanceof SequenceNode sequence) {
            return sequence.getValue();
        }
        throw new ProblemAt(file, YamlReader.line(node), "'" + what + "' must be a list");
    }
}
