package dev.reflex.audit.history;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import dev.reflex.rules.CompiledRule;
import dev.reflex.rules.IndexedRule;
import dev.reflex.rules.QuarantinedRule;
import dev.reflex.rules.RuleIndex;
import dev.reflex.rules.expr.RuleException;
import dev.reflex.schemas.Rule;

/**
 * Every version of every rule seen, and when each was applied, so a recorded decision can be re-evaluated with
 * exactly the rules it used. Filled from the rule log ({@code reflex.rules.log}) and the rules topic; versions are
 * content hashes, so the same version from both places is one entry. Versions compile once and are kept compiled.
 */
public final class RuleHistory {
    /** A rule applied at {@code at} (epoch ms); {@code rule} null: the rule was removed. */
    private record Change(long at, String id, Rule rule) {}

    private final Map<String, Rule> byVersion = new HashMap<>();
    private final List<Change> changes = new ArrayList<>();
    private final Map<String, IndexedRule> compiled = new HashMap<>();
    private final TreeMap<Long, RuleIndex> indexAt = new TreeMap<>();
    private boolean sorted = true;

    /** Records that {@code rule} was applied at {@code at}; a null rule records the removal of {@code id}. */
    public synchronized void add(long at, String id, Rule rule) {
        if (rule != null) {
            byVersion.putIfAbsent(key(rule.getId(), rule.getVersion()), rule);
        }
        if (!changes.isEmpty() && changes.get(changes.size() - 1).at() > at) {
            sorted = false;
        }
        changes.add(new Change(at, id, rule));
        indexAt.clear();
    }

    /** Records a version known to exist (from the live rules) without knowing when it was applied. */
    public synchronized void addVersion(Rule rule) {
        byVersion.putIfAbsent(key(rule.getId(), rule.getVersion()), rule);
    }

    /** How many versions are known. */
    public synchronized int versions() {
        return byVersion.size();
    }

    public synchronized Optional<Rule> version(String id, String version) {
        return Optional.ofNullable(byVersion.get(key(id, version)));
    }

    /** The version compiled as the engine compiles it: a version that does not compile comes back quarantined. */
    public synchronized Optional<IndexedRule> compiled(String id, String version) {
        String key = key(id, version);
        IndexedRule entry = compiled.get(key);
        if (entry == null) {
            Rule rule = byVersion.get(key);
            if (rule == null) {
                return Optional.empty();
            }
            entry = compile(rule);
            compiled.put(key, entry);
        }
        return Optional.of(entry);
    }

    public static IndexedRule compile(Rule rule) {
        try {
            return CompiledRule.compile(rule);
        } catch (RuleException e) {
            return new QuarantinedRule(rule, (e.field().isEmpty() ? "" : e.field() + ": ") + e.reason());
        }
    }

    /** Whether any change with a time is known, i.e. whether {@link #asOf} means anything. */
    public synchronized boolean hasTimeline() {
        return !changes.isEmpty();
    }

    /** The rules live at {@code at} (epoch ms), by the times changes were applied; empty before the first change. */
    public synchronized RuleIndex asOf(long at) {
        if (!sorted) {
            changes.sort(Comparator.comparingLong(Change::at));
            sorted = true;
        }
        // the index changes only at change times: cache one per change point
        int last = -1;
        for (int i = 0; i < changes.size() && changes.get(i).at() <= at; i++) {
            last = i;
        }
        long point = last < 0 ? Long.MIN_VALUE : changes.get(last).at();
        RuleIndex index = indexAt.get(point);
        if (index == null) {
            Map<String, IndexedRule> live = new TreeMap<>();
            for (int i = 0; i <= last; i++) {
                Change change = changes.get(i);
                if (change.rule() == null) {
                    live.remove(change.id());
                } else {
                    live.put(
                            change.id(),
                            compiled(change.id(), change.rule().getVersion()).orElseThrow());
                }
            }
            index = new RuleIndex(live.values());
            indexAt.put(point, index);
        }
        return index;
    }

    private static String key(String id, String version) {
        return id + '\u0000' + version;
    }
}
