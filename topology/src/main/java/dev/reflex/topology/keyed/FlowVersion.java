package dev.reflex.topology.keyed;

/** One version of a flow, as the version store keys it: {@code <flow id>@<version>}. */
record FlowVersion(String flowId, String version) {
    @Override
    public String toString() {
        return flowId + "@" + version;
    }
}
