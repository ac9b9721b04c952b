package dev.reflex.topology.timeline;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.Supplier;

import dev.reflex.rules.systems.SystemCatalog;

/**
 * The systems an input's attributes belong to under the current catalog, with the masks of those systems, remembered
 * while the catalog stays the same (a catalog is rebuilt on every change, so a new one empties the memory). Events of
 * one subject and type come again and again; matching them against every system's globs each time cost more than the
 * rest of attributing them. Held by one task's processor, so used by one thread.
 */
final class Attributions {
    /** Remembered at most; past it the memory starts over (subjects may be many). */
    static final int MAX = 10_000;

    /**
     * @param systems   the systems, with their aggregates (unmodifiable)
     * @param maskNames the parameter names masked on those systems (unmodifiable)
     * @param masks     the masks made of them
     * @param byLabels  whether labels may change the systems (some match these attributes meet asks for labels): then a
     *                  decision, which does not carry its event's labels, cannot be attributed by its own attributes
     */
    record Attribution(SortedSet<String> systems, SortedSet<String> maskNames, Masks masks, boolean byLabels) {}

    private final Supplier<SystemCatalog> catalog;
    private final Map<TimelineInput.Match, Attribution> known = new HashMap<>();
    private SystemCatalog of;

    Attributions(Supplier<SystemCatalog> catalog) {
        this.catalog = catalog;
    }

    /** The catalog now. */
    SystemCatalog catalog() {
        SystemCatalog now = catalog.get();
        if (now != of) {
            known.clear();
            of = now;
        }
        return now;
    }

    /** The systems and masks of an input with these attributes. */
    Attribution of(TimelineInput.Match m) {
        SystemCatalog c = catalog();
        Attribution a = known.get(m);
        if (a == null) {
            a = of(
                    c.systemsOf(m.source(), m.type(), m.subject(), m.labels()),
                    c.labelsDecide(m.source(), m.type(), m.subject()));
            if (known.size() >= MAX) {
                known.clear();
            }
            known.put(m, a);
        }
        return a;
    }

    /** The masks of {@code systems}. */
    Attribution of(SortedSet<String> systems) {
        return of(systems, false);
    }

    private Attribution of(SortedSet<String> systems, boolean byLabels) {
        SystemCatalog c = catalog();
        SortedSet<String> names = new TreeSet<>();
        for (String system : systems) {
            names.addAll(c.masked(system));
        }
        return new Attribution(
                Collections.unmodifiableSortedSet(new TreeSet<>(systems)),
                Collections.unmodifiableSortedSet(names),
                Masks.of(names),
                byLabels);
    }
}
