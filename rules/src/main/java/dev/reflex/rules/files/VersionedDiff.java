package dev.reflex.rules.files;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiFunction;
import java.util.function.Function;

/** Live definitions against local ones, by key and version: what {@link RuleDiff} and {@link SystemDiff} are made of. */
final class VersionedDiff {
    /** The local definitions that are new, changed (as {@code C}) or the same, and the live ones no longer there. */
    record Parts<T, C>(List<T> added, List<C> changed, List<T> removed, List<T> unchanged) {}

    private VersionedDiff() {}

    static <T, C> Parts<T, C> between(
            Map<String, T> live,
            Collection<T> local,
            Function<T, String> key,
            Function<T, String> version,
            BiFunction<T, T, C> change) {
        Map<String, T> remaining = new TreeMap<>(live);
        List<T> added = new ArrayList<>();
        List<C> changed = new ArrayList<>();
        List<T> unchanged = new ArrayList<>();
        for (T next : local.stream().sorted(Comparator.comparing(key)).toList()) {
            T current = remaining.remove(key.apply(next));
            if (current == null) {
                added.add(next);
            } else if (!version.apply(current).equals(version.apply(next))) {
                changed.add(change.apply(current, next));
            } else {
                unchanged.add(next);
            }
        }
        return new Parts<>(added, changed, new ArrayList<>(remaining.values()), unchanged);
    }
}
