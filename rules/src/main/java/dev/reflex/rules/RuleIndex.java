package dev.reflex.rules;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An immutable index of rules by the event source and type they listen to, so an event is evaluated only against
 * rules that can match it. A rule without a source (or type) sits in the wildcard bucket for that attribute.
 */
public final class RuleIndex {
    public static final RuleIndex EMPTY = new RuleIndex(List.of());
    private static final String ANY = "\u0000*";

    private final Map<String, Map<String, List<IndexedRule>>> bySourceThenType = new HashMap<>();
    private final int size;

    RuleIndex(Collection<IndexedRule> rules) {
        List<IndexedRule> sorted = new ArrayList<>(rules);
        sorted.sort(Comparator.comparing(IndexedRule::id));
        for (IndexedRule rule : sorted) {
            String source = rule.rule().getWhen().getSource();
            String type = rule.rule().getWhen().getType();
            bySourceThenType.computeIfAbsent(source == null ? ANY : source, s -> new HashMap<>())
                .computeIfAbsent(type == null ? ANY : type, t -> new ArrayList<>())
                .add(rule);
        }
        this.size = sorted.size();
    }

    public int size() {
        return size;
    }

    /** The rules that can match an event of this source and type, ordered by id. */
    public List<IndexedRule> candidates(String source, String type) {
        List<IndexedRule> found = new ArrayList<>();
        collect(bySourceThenType.get(source), type, found);
        collect(bySourceThenType.get(ANY), type, found);
        if (found.size() > 1) {
            found.sort(Comparator.comparing(IndexedRule::id));
        }
        return found;
    }

    private static void collect(Map<String, List<IndexedRule>> byType, String type, List<IndexedRule> into) {
        if (byType == null) {
            return;
        }
        List<IndexedRule> exact = byType.get(type);
        if (exact != null) {
            into.addAll(exact);
        }
        List<IndexedRule> any = byType.get(ANY);
        if (any != null) {
            into.addAll(any);
        }
    }
}
