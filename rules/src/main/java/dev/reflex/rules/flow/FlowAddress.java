package dev.reflex.rules.flow;

import java.util.Optional;

/**
 * The instance a flow's action belongs to, carried as the action's correlation id ({@code flow:<flow id>/<key>}) and
 * echoed by its result: how a result finds its instance.
 */
public record FlowAddress(String flowId, String key) {
    private static final String PREFIX = "flow:";

    public String correlationId() {
        return PREFIX + flowId + "/" + key;
    }

    /** The address a correlation id holds; empty when it is not a flow's. */
    public static Optional<FlowAddress> of(String correlationId) {
        if (correlationId == null || !correlationId.startsWith(PREFIX)) {
            return Optional.empty();
        }
        int slash = correlationId.indexOf('/');
        return slash < 0
                ? Optional.empty()
                : Optional.of(new FlowAddress(
                        correlationId.substring(PREFIX.length(), slash), correlationId.substring(slash + 1)));
    }
}
