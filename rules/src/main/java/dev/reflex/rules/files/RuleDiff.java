package dev.reflex.rules.files;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.reflex.schemas.Rule;

/**
 * What applying a rules directory would change: the rules on the rules topic, by id, with versions, and the systems
 * of its catalog on the systems topic.
 */
public record RuleDiff(
        List<Rule> added, List<Change> changed, List<Rule> removed, List<Rule> unchanged, SystemDiff systems) {
    public RuleDiff(List<Rule> added, List<Change> changed, List<Rule> removed, List<Rule> unchanged) {
        this(added, changed, removed, unchanged, SystemDiff.NONE);
    }

    /** This diff with the catalog's changes. */
    public RuleDiff withSystems(SystemDiff next) {
        return new RuleDiff(added, changed, removed, unchanged, next);
    }

    /** A rule whose content differs: the live version and the one that would replace it. */
    public record Change(Rule live, Rule next) {}

    public static RuleDiff between(Map<String, Rule> live, List<Rule> local) {
        VersionedDiff.Parts<Rule, Change> parts =
                VersionedDiff.between(live, local, Rule::getId, Rule::getVersion, Change::new);
        return new RuleDiff(parts.added(), parts.changed(), parts.removed(), parts.unchanged());
    }

    public boolean isEmpty() {
        return added.isEmpty() && changed.isEmpty() && removed.isEmpty() && systems.isEmpty();
    }

    /** One line per change: {@code + id version}, {@code ~ id old -> new}, {@code - id version}. */
    public List<String> lines() {
        List<String> lines = new ArrayList<>();
        added.forEach(r -> lines.add("+ " + r.getId() + " " + r.getVersion() + origin(r)));
        changed.forEach(c -> lines.add("~ " + c.next().getId() + " " + c.live().getVersion() + " -> "
                + c.next().getVersion() + origin(c.next())));
        removed.forEach(r -> lines.add("- " + r.getId() + " " + r.getVersion()));
        lines.addAll(systems.lines());
        return lines;
    }

    private static String origin(Rule rule) {
        return rule.getOrigin() == null ? "" : "  (" + rule.getOrigin() + ")";
    }
}
