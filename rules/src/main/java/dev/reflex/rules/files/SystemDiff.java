package dev.reflex.rules.files;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import dev.reflex.schemas.SystemDef;

/** What applying a systems catalog would change on the systems topic: by name, with versions. */
public record SystemDiff(
        List<SystemDef> added, List<Change> changed, List<SystemDef> removed, List<SystemDef> unchanged) {
    public static final SystemDiff NONE = new SystemDiff(List.of(), List.of(), List.of(), List.of());

    /** A system whose definition differs: the live one and the one that would replace it. */
    public record Change(SystemDef live, SystemDef next) {}

    public static SystemDiff between(Map<String, SystemDef> live, Collection<SystemDef> local) {
        VersionedDiff.Parts<SystemDef, Change> parts =
                VersionedDiff.between(live, local, SystemDef::getName, SystemDef::getVersion, Change::new);
        return new SystemDiff(parts.added(), parts.changed(), parts.removed(), parts.unchanged());
    }

    public boolean isEmpty() {
        return added.isEmpty() && changed.isEmpty() && removed.isEmpty();
    }

    /** One line per change: {@code + system name version}, {@code ~ system name old -> new}, {@code - system name version}. */
    public List<String> lines() {
        List<String> lines = new ArrayList<>();
        added.forEach(s -> lines.add("+ system " + s.getName() + " " + s.getVersion() + origin(s)));
        changed.forEach(c -> lines.add("~ system " + c.next().getName() + " "
                + c.live().getVersion() + " -> " + c.next().getVersion() + origin(c.next())));
        removed.forEach(s -> lines.add("- system " + s.getName() + " " + s.getVersion()));
        return lines;
    }

    private static String origin(SystemDef system) {
        return system.getOrigin() == null ? "" : "  (" + system.getOrigin() + ")";
    }
}
