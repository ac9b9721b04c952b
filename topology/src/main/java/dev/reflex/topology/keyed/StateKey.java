package dev.reflex.topology.keyed;

/**
 * Whose state a keyed store entry is: a correlation rule's or a flow's, for one key. Stored as {@code <rule id>/<key>}
 * (rule ids cannot hold '/'), so a rule's keys are one prefix scan.
 */
public record StateKey(String ruleId, String key) {
    /** The key as stored. */
    public static StateKey parse(String stored) {
        int slash = stored.indexOf('/');
        return slash < 0
                ? new StateKey(stored, "")
                : new StateKey(stored.substring(0, slash), stored.substring(slash + 1));
    }

    /** What every stored key of {@code ruleId} starts with. */
    static String prefix(String ruleId) {
        return ruleId + "/";
    }

    @Override
    public String toString() {
        return prefix(ruleId) + key;
    }
}
