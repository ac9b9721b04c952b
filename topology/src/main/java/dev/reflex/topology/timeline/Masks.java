package dev.reflex.topology.timeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Hides the parameters systems mark secret ({@code mask: [token, password]}): a JSON field of that name at any depth,
 * a label, a register read, and {@code name=value} or {@code name: value} in text. Applied before an entry is stored,
 * so the timeline never holds what it must not show.
 */
public final class Masks {
    public static final String HIDDEN = "\u2022\u2022\u2022\u2022";

    private static final Map<Set<String>, Masks> MADE = new ConcurrentHashMap<>();

    private final Set<String> names;
    private final Pattern inText;

    private Masks(Set<String> names) {
        this.names = names;
        this.inText = names.isEmpty()
                ? null
                : Pattern.compile(
                        "(?i)(\\b(?:" + names.stream().map(Pattern::quote).collect(Collectors.joining("|"))
                                + ")[\"']?\\s*[:=]\\s*[\"']?)[^\\s\"',&;}]+");
    }

    /** The masks of {@code names}; made once per set of names (they are few: one per combination of systems). */
    public static Masks of(Collection<String> names) {
        Set<String> lower = new TreeSet<>();
        names.forEach(n -> lower.add(n.toLowerCase(Locale.ROOT)));
        if (MADE.size() > 1_000) {
            MADE.clear();
        }
        return MADE.computeIfAbsent(lower, Masks::new);
    }

    public boolean isEmpty() {
        return names.isEmpty();
    }

    /** The entry with its summary, data and detail masked. */
    public TimelineEntry apply(TimelineEntry entry) {
        return names.isEmpty() ? entry : apply(entry, tree(entry.data()));
    }

    /**
     * The entry with its summary, data and detail masked, its data already read as {@code dataTree} ({@link #tree}):
     * the tree is masked in place, so whoever read it sees what is stored.
     */
    TimelineEntry apply(TimelineEntry entry, JsonNode dataTree) {
        if (names.isEmpty()) {
            return entry;
        }
        return entry.masked(
                text(entry.summary()),
                data(entry.data(), dataTree),
                entry.detail() == null ? null : map(entry.detail()));
    }

    /** An entry's data as a JSON object or array; null when there is none or it is not one. */
    static JsonNode tree(String data) {
        if (data == null) {
            return null;
        }
        try {
            JsonNode tree = TimelineEntry.json().readTree(data);
            return tree != null && tree.isContainerNode() ? tree : null;
        } catch (IOException notJson) {
            return null;
        }
    }

    String text(String text) {
        if (text == null || inText == null || (text.indexOf(':') < 0 && text.indexOf('=') < 0)) {
            return text; // a name is only masked before ':' or '='
        }
        return inText.matcher(text).replaceAll("$1" + HIDDEN);
    }

    private String data(String data, JsonNode tree) {
        if (tree == null) {
            return text(data);
        }
        node(tree);
        try {
            return TimelineEntry.json().writeValueAsString(tree);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void node(JsonNode node) {
        if (node instanceof ObjectNode object) {
            for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                if (hides(field.getKey())) {
                    field.setValue(object.textNode(HIDDEN));
                } else if (field.getValue().isTextual()) {
                    field.setValue(object.textNode(text(field.getValue().asText())));
                } else {
                    node(field.getValue());
                }
            }
        } else if (node instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                if (array.get(i).isTextual()) {
                    array.set(i, array.textNode(text(array.get(i).asText())));
                } else {
                    node(array.get(i));
                }
            }
        }
    }

    private Map<String, Object> map(Map<String, Object> map) {
        Map<String, Object> out = new LinkedHashMap<>();
        map.forEach((k, v) -> out.put(k, hides(k) ? HIDDEN : value(v)));
        return out;
    }

    @SuppressWarnings("unchecked")
    private Object value(Object v) {
        if (v instanceof Map<?, ?> m) {
            return map((Map<String, Object>) m);
        }
        if (v instanceof List<?> list) {
            List<Object> out = new ArrayList<>();
            list.forEach(item -> out.add(value(item)));
            return out;
        }
        return v instanceof String s ? text(s) : v;
    }

    private boolean hides(String name) {
        return name != null && names.contains(name.toLowerCase(Locale.ROOT));
    }
}
