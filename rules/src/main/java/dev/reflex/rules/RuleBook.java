package dev.reflex.rules;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.reflex.rules.expr.RuleException;
import dev.reflex.schemas.Rule;

/**
 * The live set of rules, shared by every stream thread of one engine instance. Written by the thread that reads
 * the rules topic; read per event through {@link #index()}, an immutable snapshot rebuilt once after a burst of
 * changes (a restore of 10,000 rules rebuilds it once, not 10,000 times).
 */
public final class RuleBook {
    private final Map<String, IndexedRule> byId = new HashMap<>();
    private volatile RuleIndex index = RuleIndex.EMPTY;
    private volatile boolean stale;

    /**
     * Adds or replaces a rule, compiling it unless this version is already compiled. A rule that does not compile
     * is kept as quarantined, with the reason, so it is visible in decisions; the other rules are unaffected.
     */
    public synchronized IndexedRule put(Rule rule) {
        IndexedRule existing = byId.get(rule.getId());
        if (existing instanceof CompiledRule
                && existing.version().equals(rule.getVersion())
                && existing.rule().equals(rule)) {
            return existing;
        }
        IndexedRule entry;
        try {
            entry = CompiledRule.compile(rule);
        } catch (RuleException e) {
            entry = new QuarantinedRule(rule, (e.field().isEmpty() ? "" : e.field() + ": ") + e.reason());
        }
        byId.put(rule.getId(), entry);
        stale = true;
        return entry;
    }

    /** Holds {@code rule} as quarantined for a reason found outside the rule itself. */
    public synchronized IndexedRule quarantine(Rule rule, String reason) {
        IndexedRule entry = new QuarantinedRule(rule, reason);
        byId.put(rule.getId(), entry);
        stale = true;
        return entry;
    }

    /** Quarantines {@code rule} unless another version has replaced it meanwhile. */
    public synchronized void quarantineIfCurrent(Rule rule, String reason) {
        IndexedRule current = byId.get(rule.getId());
        if (current != null && current.version().equals(rule.getVersion()) && current instanceof CompiledRule) {
            quarantine(rule, reason);
        }
    }

    public synchronized void remove(String id) {
        if (byId.remove(id) != null) {
            stale = true;
        }
    }

    public synchronized Optional<IndexedRule> get(String id) {
        return Optional.ofNullable(byId.get(id));
    }

    /** Every rule held, compiled or quarantined, ordered by id. */
    public synchronized List<IndexedRule> all() {
        List<IndexedRule> all = new ArrayList<>(byId.values());
        all.sort(Comparator.comparing(IndexedRule::id));
        return all;
    }

    public RuleIndex index() {
        if (stale) {
            synchronized (this) {
                if (stale) {
                    index = new RuleIndex(byId.values());
                    stale = false;
                }
            }
        }
        return index;
    }
}
