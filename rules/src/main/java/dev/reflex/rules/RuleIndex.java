package dev.reflex.rules;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.reflex.schemas.Correlate;
import dev.reflex.schemas.CorrelateCompanion;

/**
 * An immutable index of rules by the event source and type they listen to, so an event is evaluated only against
 * rules that can match it. A rule without a source (or type) sits in the wildcard bucket for that attribute.
 */
public final class RuleIndex {
    public static final RuleIndex EMPTY = new RuleIndex(List.of());
    private static final String ANY = "\u0000*";

    private final Map<String, Map<String, List<IndexedRule>>> bySourceThenType = new HashMap<>();
    private final int size;
    private final List<IndexedRule> all;

    public RuleIndex(Collection<IndexedRule> rules) {
        List<IndexedRule> sorted = new ArrayList<>(rules);
        sorted.sort(Comparator.comparing(IndexedRule::id));
        for (IndexedRule rule : sorted) {
            add(rule, rule.rule().getWhen().getSource(), rule.rule().getWhen().getType());
            // a correlation rule also listens to the events of its unless and after
            // a flow also listens to the events its wait steps wait for, and to the results of its actions
            if (rule instanceof CompiledRule compiled && compiled.flow() != null) {
                for (String[] trigger : compiled.flow().waitTriggers()) {
                    add(rule, trigger[0], trigger[1]);
                }
                if (compiled.flow().acts()) {
                    add(rule, "reflex", "action.succeeded");
                    add(rule, "reflex", "action.failed");
                }
            }
            Correlate correlate = rule.rule().getCorrelate();
            if (correlate != null) {
                for (CorrelateCompanion companion :
                        new CorrelateCompanion[] {correlate.getUnless(), correlate.getAfter()}) {
                    if (companion != null) {
                        add(rule, companion.getSource(), companion.getType());
                    }
                }
            }
        }
        bySourceThenType.values().forEach(byType -> byType.replaceAll((t, bucket) -> List.copyOf(bucket)));
        this.size = sorted.size();
        this.all = List.copyOf(sorted);
    }

    private void add(IndexedRule rule, String source, String type) {
        List<IndexedRule> bucket = bySourceThenType
                .computeIfAbsent(source == null ? ANY : source, s -> new HashMap<>())
                .computeIfAbsent(type == null ? ANY : type, t -> new ArrayList<>());
        if (!bucket.contains(rule)) {
            bucket.add(rule);
        }
    }

    /** Every rule in the index, ordered by id. */
    public List<IndexedRule> all() {
        return all;
    }

    public int size() {
        return size;
    }

    /** The rules that can match an event of this source and type, ordered by id. Do not modify the list. */
    public List<IndexedRule> candidates(String source, String type) {
        Map<String, List<IndexedRule>> forSource = source == null ? null : bySourceThenType.get(source);
        Map<String, List<IndexedRule>> anySource = bySourceThenType.get(ANY);
        List<IndexedRule> a = forSource == null || type == null ? null : forSource.get(type);
        List<IndexedRule> b = forSource == null ? null : forSource.get(ANY);
        List<IndexedRule> c = anySource == null || type == null ? null : anySource.get(type);
        List<IndexedRule> d = anySource == null ? null : anySource.get(ANY);
        int buckets = (a == null ? 0 : 1) + (b == null ? 0 : 1) + (c == null ? 0 : 1) + (d == null ? 0 : 1);
        if (buckets == 0) {
            return List.of();
        }
        if (buckets == 1) {
            // the common case: one bucket, already sorted and never modified after construction
            return a != null ? a : b != null ? b : c != null ? c : d;
        }
        List<IndexedRule> found = new ArrayList<>();
        for (List<IndexedRule> bucket : Arrays.asList(a, b, c, d)) {
            if (bucket != null) {
                found.addAll(bucket);
            }
        }
        found.sort(Comparator.comparing(IndexedRule::id));
        // a correlation rule may sit in two of the buckets (its when and its unless or after)
        for (int i = found.size() - 1; i > 0; i--) {
            if (found.get(i) == found.get(i - 1)) {
                found.remove(i);
            }
        }
        return found;
    }
}
