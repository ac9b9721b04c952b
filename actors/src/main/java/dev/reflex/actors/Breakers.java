package dev.reflex.actors;

import java.util.HashMap;
import java.util.Map;

/**
 * A circuit breaker per target: after {@code failures} consecutive failed actions of one target its actions are held
 * for {@code cooldownMs}; then one runs as a probe (a target runs one action at a time anyway): a success closes the
 * circuit, a failure holds the target for another cool-down. With {@code heldMaxMs} above 0, a target whose circuit has
 * been open that long fails its held actions (and new ones) without running them, until a probe succeeds; with 0 they
 * wait. Fed by results in the order they finished (the actor's own, and on start and on every assignment the others'
 * read back from {@code reflex.action-results}), so its state survives restarts and moves: a result older than the
 * last one seen for its target is ignored. Not thread-safe: the actor's polling thread owns it.
 */
final class Breakers {
    /** The settings; {@code failures} 0 turns breakers off. */
    record Settings(int failures, long cooldownMs, long heldMaxMs) {
        static final Settings OFF = new Settings(0, 0, 0);
    }

    private static final class State {
        int consecutive;
        long lastAt = Long.MIN_VALUE;
        long openedAt = -1;
        long openUntil;
    }

    private final Settings settings;
    private final Map<String, State> targets = new HashMap<>();

    Breakers(Settings settings) {
        this.settings = settings;
    }

    /**
     * A result of {@code target} finished at {@code at}. Returns true when it opened the circuit (the first failure of
     * the streak that reaches the limit, or a failed probe).
     */
    boolean record(String target, boolean failed, long at) {
        if (settings.failures() <= 0 || target == null) {
            return false;
        }
        State state = targets.computeIfAbsent(target, t -> new State());
        if (at < state.lastAt) {
            return false;
        }
        state.lastAt = at;
        if (!failed) {
            targets.remove(target);
            return false;
        }
        state.consecutive++;
        if (state.consecutive < settings.failures()) {
            return false;
        }
        if (state.openedAt < 0) {
            state.openedAt = at;
        }
        state.openUntil = at + settings.cooldownMs();
        return true;
    }

    /** Whether {@code target} may start an action at {@code now}: its circuit is closed, or cooled down (a probe). */
    boolean mayStart(String target, long now) {
        State state = target == null ? null : targets.get(target);
        return state == null || state.openedAt < 0 || now >= state.openUntil;
    }

    /** Whether {@code target}'s held actions fail now: its circuit has been open for the bound (never with bound 0). */
    boolean failsHeld(String target, long now) {
        State state = target == null ? null : targets.get(target);
        return settings.heldMaxMs() > 0
                && state != null
                && state.openedAt >= 0
                && now < state.openUntil
                && now - state.openedAt >= settings.heldMaxMs();
    }

    /** Why {@code target}'s actions are held, for results and logs. */
    String reason(String target) {
        State state = targets.get(target);
        return "circuit open for target " + target + " after " + (state == null ? 0 : state.consecutive)
                + " consecutive failures";
    }

    /** Targets whose circuit is open now (held, not cooled down). */
    long open(long now) {
        return targets.values().stream()
                .filter(s -> s.openedAt >= 0 && now < s.openUntil)
                .count();
    }
}
