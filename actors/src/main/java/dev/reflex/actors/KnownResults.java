package dev.reflex.actors;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import dev.reflex.schemas.ActionResult;
import dev.reflex.schemas.ActionStatus;
import dev.reflex.schemas.KafkaConnection;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.serde.ReflexSerdes;

/**
 * The ids of one system's actions that have a result on {@code reflex.action-results}, so an action read again (after
 * a kill, a move of its partition, a replay) is skipped rather than done twice. {@link #catchUp} reads the committed
 * results written since the last call (all of them the first time): at start, and whenever partitions are assigned,
 * since their last owner may have reported actions beyond its committed offset. Results this process did not add
 * itself go to {@code others} (the circuit breakers learn from them). Remembers the last million ids.
 */
final class KnownResults implements AutoCloseable {
    private static final int REMEMBERED = 1_000_000;

    private final String system;
    private final TopicFollower<ActionResult> results;
    private final BooleanSupplier running;
    private final Consumer<ActionResult> others;
    private final Set<String> known = Collections.newSetFromMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > REMEMBERED;
        }
    });

    KnownResults(
            KafkaConnection kafka,
            TopicNames names,
            ReflexSerdes serdes,
            String system,
            BooleanSupplier running,
            Consumer<ActionResult> others) {
        this.system = system;
        this.running = running;
        this.others = others;
        this.results = new TopicFollower<>(
                kafka, names.actionResults(), serdes.value(ActionResult.class).deserializer());
    }

    boolean contains(String actionId) {
        return known.contains(actionId);
    }

    /** An action this process reported (in a committed transaction). */
    void add(String actionId) {
        known.add(actionId);
    }

    int size() {
        return known.size();
    }

    /** Reads the results committed since the last call, up to the last stable offsets of now. */
    void catchUp() {
        results.readToEnd(running, (key, result) -> {
            if (result != null
                    && result.getSystem().equals(system)
                    && result.getStatus() != ActionStatus.SKIPPED
                    && known.add(result.getActionId())) {
                others.accept(result);
            }
        });
    }

    @Override
    public void close() {
        results.close();
    }
}
