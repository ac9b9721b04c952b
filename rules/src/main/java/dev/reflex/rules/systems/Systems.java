package dev.reflex.rules.systems;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.yaml.snakeyaml.nodes.Node;

import dev.reflex.rules.expr.Expression;
import dev.reflex.rules.expr.RuleException;
import dev.reflex.rules.yaml.Problem;
import dev.reflex.rules.yaml.ProblemAt;
import dev.reflex.rules.yaml.YamlReader;
import dev.reflex.schemas.RuleTrigger;
import dev.reflex.schemas.TopicNames;

/**
 * Systems speak the users' terms: a system file names events (a source, a type and an optional condition over raw
 * events, e.g. {@code prod-cluster.pod-oom}) and actions (a target system, an action and default params, e.g.
 * {@code oncall.page}). A definition may {@code extends} another ({@code extends: kubernetes.pod-oom}) and override
 * what it names. A system's {@code labels} go with every action it defines, as params {@code labels.<name>}.
 * Rules refer to them as {@code when: {event: ...}} and {@code then: [{do: ...}]}; swapping a tool changes one system
 * file, not every rule.
 */
public final class Systems {
    /** A named event: where it comes from and an optional condition. */
    public record NamedEvent(String name, String source, String type, String condition, String definedAt) {
        /** What {@code when: {event: <name>}} stands for in a rule or a flow: with its own condition (or null) after the event's. */
        public RuleTrigger trigger(String ownCondition) {
            String joined = condition == null
                    ? ownCondition
                    : ownCondition == null ? condition : "(" + condition + ") && (" + ownCondition + ")";
            return RuleTrigger.newBuilder()
                    .setSource(source)
                    .setType(type)
                    .setCondition(joined)
                    .build();
        }
    }

    /** A named action: what it becomes on the action topics. */
    public record NamedAction(
            String name, String system, String action, String target, Map<String, String> params, String definedAt) {}

    /** Inside a rules directory, system definitions live here rather than rules. */
    public static final String DIR = "systems";

    public static final Systems NONE = new Systems(Map.of(), Map.of(), SystemCatalog.EMPTY);

    private static final Set<String> SYSTEM_KEYS =
            Set.of("system", "description", "labels", "events", "actions", "includes", "match", "mask", "limits");
    private static final Set<String> EVENT_KEYS = Set.of("extends", "description", "source", "type", "condition");
    private static final Set<String> ACTION_KEYS =
            Set.of("extends", "description", "system", "action", "target", "params");

    private final Map<String, NamedEvent> events;
    private final Map<String, NamedAction> actions;
    private final SystemCatalog catalog;

    private Systems(Map<String, NamedEvent> events, Map<String, NamedAction> actions, SystemCatalog catalog) {
        this.events = events;
        this.actions = actions;
        this.catalog = catalog;
    }

    /** The systems themselves: how they nest and which events belong to each. */
    public SystemCatalog catalog() {
        return catalog;
    }

    public NamedEvent event(String name) {
        return events.get(name);
    }

    public NamedAction action(String name) {
        return actions.get(name);
    }

    public Set<String> eventNames() {
        return new TreeSet<>(events.keySet());
    }

    /** Why {@code name} names no event, with the names there are. */
    public String unknownEvent(String name) {
        return "unknown event '" + name + "'" + known(eventNames());
    }

    /** Why {@code name} names no action, with the names there are. */
    public String unknownAction(String name) {
        return "unknown action '" + name + "'" + known(actionNames());
    }

    private static String known(Set<String> names) {
        return names.isEmpty()
                ? "; no systems define any (put system files in " + DIR + "/)"
                : "; systems define " + String.join(", ", names);
    }

    public Set<String> actionNames() {
        return new TreeSet<>(actions.keySet());
    }

    /** Every system file ({@code *.yaml}, {@code *.yml}) under {@code dir}, with the problems found. */
    public static Loaded load(Path dir) throws IOException {
        List<Problem> problems = new ArrayList<>();
        Map<String, Raw> raw = new LinkedHashMap<>();
        Map<String, SystemEntries.Entry> entries = new LinkedHashMap<>();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(Files::isRegularFile)
                    .filter(p -> p.getFileName().toString().matches(".*\\.ya?ml"))
                    .sorted()
                    .toList();
        }
        for (Path file : files) {
            read(file.toString(), Files.readString(file, StandardCharsets.UTF_8), raw, entries, problems);
        }
        Map<String, NamedEvent> events = new TreeMap<>();
        Map<String, NamedAction> actions = new TreeMap<>();
        for (Raw definition : raw.values()) {
            try {
                if (definition.isEvent) {
                    events.put(definition.name, resolveEvent(definition, raw, new HashSet<>()));
                } else {
                    actions.put(definition.name, resolveAction(definition, raw, new HashSet<>()));
                }
            } catch (ProblemAt e) {
                problems.add(e.in(definition.file));
            }
        }
        return new Loaded(new Systems(events, actions, SystemEntries.catalog(entries, problems)), problems);
    }

    /** The systems read, and every problem found. */
    public record Loaded(Systems systems, List<Problem> problems) {}

    private record Raw(
            String name,
            boolean isEvent,
            Map<String, String> fields,
            Map<String, String> params,
            Map<String, String> labels,
            String file,
            int line) {}

    private static NamedEvent resolveEvent(Raw d, Map<String, Raw> all, Set<String> seen) {
        Map<String, String> fields = inherited(d, all, seen, null);
        if (fields.get("source") == null && fields.get("type") == null) {
            throw new ProblemAt(d.file, d.line, "event " + d.name + " needs a source or a type");
        }
        return new NamedEvent(
                d.name, fields.get("source"), fields.get("type"), fields.get("condition"), d.file + ":" + d.line);
    }

    private static NamedAction resolveAction(Raw d, Map<String, Raw> all, Set<String> seen) {
        Map<String, String> params = new TreeMap<>();
        Map<String, String> fields = inherited(d, all, seen, params);
        if (fields.get("system") == null || fields.get("action") == null) {
            throw new ProblemAt(d.file, d.line, "action " + d.name + " needs a system and an action");
        }
        if (!TopicNames.isValidPart(fields.get("system"))) {
            throw new ProblemAt(
                    d.file, d.line, "action " + d.name + ": system '" + fields.get("system") + "' is not a valid name");
        }
        return new NamedAction(
                d.name,
                fields.get("system"),
                fields.get("action"),
                fields.get("target"),
                Map.copyOf(params),
                d.file + ":" + d.line);
    }

    /**
     * The fields of {@code d} over those of what it extends, all the way up. For an action ({@code params} not null),
     * also gathers params the same way, after the system's labels.
     */
    private static Map<String, String> inherited(
            Raw d, Map<String, Raw> all, Set<String> seen, Map<String, String> params) {
        boolean event = params == null;
        if (!seen.add(d.name)) {
            throw new ProblemAt(d.file, d.line, "'extends' goes round in a circle through " + d.name);
        }
        Map<String, String> fields = new LinkedHashMap<>();
        String parentName = d.fields.get("extends");
        if (parentName != null) {
            Raw parent = all.get(parentName);
            if (parent == null || parent.isEvent != event) {
                throw new ProblemAt(
                        d.file,
                        d.line,
                        d.name + " extends unknown " + (event ? "event" : "action") + " '" + parentName + "'");
            }
            fields.putAll(inherited(parent, all, seen, params));
        }
        if (!event) {
            d.labels.forEach((k, v) -> params.put("labels." + k, v));
            params.putAll(d.params);
        }
        d.fields.forEach((k, v) -> {
            if (!k.equals("extends")) {
                fields.put(k, v);
            }
        });
        return fields;
    }

    private static void read(
            String file,
            String text,
            Map<String, Raw> out,
            Map<String, SystemEntries.Entry> entries,
            List<Problem> problems) {
        YamlReader.documents(file, text, document -> readSystem(file, document, out, entries, problems), problems);
    }

    private static void readSystem(
            String file,
            Node document,
            Map<String, Raw> out,
            Map<String, SystemEntries.Entry> entries,
            List<Problem> problems) {
        Map<String, Node> fields = YamlReader.mapping(document, "a system", SYSTEM_KEYS);
        Node nameNode = fields.get("system");
        if (nameNode == null) {
            throw new ProblemAt(file, YamlReader.line(document), "a system file needs 'system: <name>'");
        }
        String system = YamlReader.scalar(nameNode, "system");
        if (!TopicNames.isValidPart(system) || system.contains(".")) {
            throw new ProblemAt(
                    file,
                    YamlReader.line(nameNode),
                    "system name '" + system + "' must be letters, digits, '_' or '-'");
        }
        Map<String, String> labels =
                fields.containsKey("labels") ? YamlReader.scalars(fields.get("labels"), "labels") : Map.of();
        SystemEntries.read(
                file,
                system,
                YamlReader.line(nameNode),
                fields,
                labels,
                entries.computeIfAbsent(
                        system, name -> new SystemEntries.Entry(name, file, YamlReader.line(nameNode))));
        for (String kind : List.of("events", "actions")) {
            if (!fields.containsKey(kind)) {
                continue;
            }
            boolean isEvent = kind.equals("events");
            Map<String, Integer> nameLines = YamlReader.keyLines(fields.get(kind));
            for (Map.Entry<String, Node> def :
                    YamlReader.mapping(fields.get(kind), "'" + kind + "'", null).entrySet()) {
                try {
                    readDefinition(
                            file,
                            system,
                            isEvent,
                            def.getKey(),
                            def.getValue(),
                            nameLines.get(def.getKey()),
                            labels,
                            out);
                } catch (ProblemAt e) {
                    problems.add(e.in(file));
                }
            }
        }
    }

    private static void readDefinition(
            String file,
            String system,
            boolean isEvent,
            String key,
            Node value,
            int nameLine,
            Map<String, String> labels,
            Map<String, Raw> out) {
        String name = system + "." + key;
        Map<String, Node> defFields = YamlReader.mapping(value, name, isEvent ? EVENT_KEYS : ACTION_KEYS);
        Map<String, String> values = new LinkedHashMap<>();
        Map<String, String> params = new LinkedHashMap<>();
        for (Map.Entry<String, Node> f : defFields.entrySet()) {
            if (f.getKey().equals("params")) {
                params.putAll(YamlReader.scalars(f.getValue(), name + ".params"));
            } else if (!f.getKey().equals("description")) {
                values.put(f.getKey(), YamlReader.scalar(f.getValue(), name + "." + f.getKey()));
            }
        }
        if (isEvent && values.containsKey("condition")) {
            try {
                Expression.compile(values.get("condition"));
            } catch (RuleException e) {
                throw new ProblemAt(
                        file, YamlReader.line(defFields.get("condition")), name + ".condition: " + e.reason());
            }
        }
        Raw previous =
                out.put(name, new Raw(name, isEvent, values, params, isEvent ? Map.of() : labels, file, nameLine));
        if (previous != null) {
            throw new ProblemAt(
                    file, nameLine, name + " is defined twice (also at " + previous.file + ":" + previous.line + ")");
        }
    }
}
