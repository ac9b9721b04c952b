package dev.reflex.rules.systems;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import dev.reflex.schemas.SystemDef;
import dev.reflex.schemas.SystemMatch;

/**
 * The systems of the catalog and how they nest: an event belongs to every system one of whose {@code match} entries
 * it meets and, through {@code includes}, to every system that aggregates one of those, all the way up. A system may
 * be included by several aggregates; the includes form no cycle (checked when the catalog is loaded).
 */
public final class SystemCatalog {
    public static final SystemCatalog EMPTY = new SystemCatalog(Map.of());
    /** Compiled globs, shared: catalogs are rebuilt on every change, their patterns mostly stay. */
    private static final Map<String, Pattern> GLOBS = new ConcurrentHashMap<>();

    private final Map<String, SystemDef> systems;
    private final Map<String, SortedSet<String>> includedBy = new TreeMap<>();

    private SystemCatalog(Map<String, SystemDef> systems) {
        this.systems = systems;
        for (SystemDef system : systems.values()) {
            for (String child : system.getIncludes()) {
                includedBy.computeIfAbsent(child, c -> new TreeSet<>()).add(system.getName());
            }
        }
    }

    public static SystemCatalog of(Collection<SystemDef> definitions) {
        Map<String, SystemDef> byName = new TreeMap<>();
        definitions.forEach(d -> byName.put(d.getName(), d));
        return new SystemCatalog(byName);
    }

    /** The systems by name. */
    public Map<String, SystemDef> systems() {
        return Collections.unmodifiableMap(systems);
    }

    public boolean isEmpty() {
        return systems.isEmpty();
    }

    /** The systems no other includes: the tops of the tree. */
    public SortedSet<String> roots() {
        SortedSet<String> roots = new TreeSet<>(systems.keySet());
        roots.removeAll(includedBy.keySet());
        return roots;
    }

    /** The systems that include {@code name} directly. */
    public SortedSet<String> includedBy(String name) {
        return includedBy.getOrDefault(name, new TreeSet<>());
    }

    /**
     * The systems an event with these attributes belongs to: those it matches, and every system that includes one of
     * them, transitively.
     */
    public SortedSet<String> systemsOf(String source, String type, String subject, Map<String, String> labels) {
        List<String> matched = new ArrayList<>();
        for (SystemDef system : systems.values()) {
            if (system.getMatch().stream().anyMatch(m -> matches(m, source, type, subject, labels))) {
                matched.add(system.getName());
            }
        }
        return withAggregates(matched);
    }

    /**
     * Whether an event's labels may change which systems it belongs to: some match entry that its source, type and
     * subject meet also asks for labels. When not, {@link #systemsOf} gives the same systems whatever the labels.
     */
    public boolean labelsDecide(String source, String type, String subject) {
        for (SystemDef system : systems.values()) {
            for (SystemMatch m : system.getMatch()) {
                if (!m.getLabels().isEmpty()
                        && glob(m.getSource(), source)
                        && glob(m.getType(), type)
                        && glob(m.getSubject(), subject)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * The systems a rule whose trigger is {@code source} and {@code type} (either null for any) may see events of: those
     * with a match entry the trigger can meet, whatever the subject and labels, and every system including one of them.
     */
    public SortedSet<String> systemsSeenBy(String source, String type) {
        List<String> matched = new ArrayList<>();
        for (SystemDef system : systems.values()) {
            if (system.getMatch().stream()
                    .anyMatch(m -> (source == null || glob(m.getSource(), source))
                            && (type == null || glob(m.getType(), type)))) {
                matched.add(system.getName());
            }
        }
        return withAggregates(matched);
    }

    private SortedSet<String> withAggregates(List<String> matched) {
        SortedSet<String> found = new TreeSet<>();
        Deque<String> todo = new ArrayDeque<>(matched);
        while (!todo.isEmpty()) {
            String system = todo.pop();
            if (found.add(system)) {
                todo.addAll(includedBy(system));
            }
        }
        return found;
    }

    /** The parameter names masked for {@code system}: its own and those of every system that includes it. */
    public SortedSet<String> masked(String system) {
        SortedSet<String> mask = new TreeSet<>();
        Deque<String> todo = new ArrayDeque<>(List.of(system));
        Set<String> seen = new TreeSet<>();
        while (!todo.isEmpty()) {
            String at = todo.pop();
            if (seen.add(at)) {
                SystemDef def = systems.get(at);
                if (def != null) {
                    mask.addAll(def.getMask());
                }
                todo.addAll(includedBy(at));
            }
        }
        return mask;
    }

    /** Whether every field {@code match} gives is met: globs for source, type and subject, equal values for labels. */
    public static boolean matches(
            SystemMatch match, String source, String type, String subject, Map<String, String> labels) {
        if (!glob(match.getSource(), source) || !glob(match.getType(), type) || !glob(match.getSubject(), subject)) {
            return false;
        }
        for (Map.Entry<String, String> label : match.getLabels().entrySet()) {
            if (labels == null || !label.getValue().equals(labels.get(label.getKey()))) {
                return false;
            }
        }
        return true;
    }

    private static boolean glob(String pattern, String value) {
        if (pattern == null) {
            return true;
        }
        if (value == null) {
            return false;
        }
        if (pattern.indexOf('*') < 0) {
            return pattern.equals(value);
        }
        if (GLOBS.size() > 10_000) {
            GLOBS.clear();
        }
        return GLOBS.computeIfAbsent(pattern, SystemCatalog::compileGlob)
                .matcher(value)
                .matches();
    }

    private static Pattern compileGlob(String pattern) {
        List<String> parts = new ArrayList<>();
        for (String part : pattern.split("\\*", -1)) {
            parts.add(Pattern.quote(part));
        }
        return Pattern.compile(String.join(".*", parts), Pattern.DOTALL);
    }

    /**
     * The first cycle in {@code includes} among {@code definitions}, as the path that closes it (a, b, a); empty when
     * there is none.
     */
    static List<String> cycle(Map<String, List<String>> includes) {
        Map<String, Integer> state = new TreeMap<>();
        for (String start : includes.keySet()) {
            List<String> path = new ArrayList<>();
            List<String> found = visit(start, includes, state, path);
            if (!found.isEmpty()) {
                return found;
            }
        }
        return List.of();
    }

    private static List<String> visit(
            String node, Map<String, List<String>> includes, Map<String, Integer> state, List<String> path) {
        Integer at = state.get(node);
        if (at != null && at == 2) {
            return List.of();
        }
        path.add(node);
        if (at != null && at == 1) {
            return new ArrayList<>(path.subList(path.indexOf(node), path.size()));
        }
        state.put(node, 1);
        for (String child : includes.getOrDefault(node, List.of())) {
            List<String> found = visit(child, includes, state, path);
            if (!found.isEmpty()) {
                return found;
            }
        }
        state.put(node, 2);
        path.remove(path.size() - 1);
        return List.of();
    }

    /** The version of a definition: a hash of everything but its version and origin. */
    public static String versionOf(SystemDef system) {
        SystemDef content =
                SystemDef.newBuilder(system).setVersion("").setOrigin(null).build();
        String text = content.toString();
        if (system.getLimits() == null) {
            // a system without limits keeps the version it had before systems could declare limits
            text = text.replace(", \"limits\": null}", "}");
        }
        // limits that name no system-wide one keep the version they had before system-wide limits
        text = text.replace(", \"systemConcurrency\": null, \"systemRate\": null}", "}");
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by the Java platform", e);
        }
    }
}
