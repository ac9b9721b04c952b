package dev.reflex.topology.timeline;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import dev.reflex.topology.timeline.TimelineEntry.Kind;

/**
 * A system's state now, from its recent timeline: the alerts whose last word is firing, the flow runs whose last
 * transition did not end them, and the actions that failed in the last hour.
 *
 * @param firing  the latest firing event of each alert (type without {@code .firing}, and subject) not resolved since
 * @param running the latest transition of each flow run that has not ended, failed or been cancelled
 * @param failed  the failed action results of the last hour, newest first
 */
public record SystemState(List<TimelineEntry> firing, List<TimelineEntry> running, List<TimelineEntry> failed) {
    /** How far back the state looks. */
    public static final long LOOKBACK_MS = 24 * 3_600_000L;

    private static final Set<String> FINAL = Set.of("ended", "failed", "cancelled");

    /** Whether {@code entry} can change a system's state: an alert's event, a flow transition, an action result. */
    public static boolean makes(TimelineEntry entry) {
        return entry.kind() == Kind.EVENT && entry.status() != null
                || entry.kind() == Kind.FLOW
                || entry.kind() == Kind.RESULT;
    }

    /** The state from {@code newestFirst}, a system's entries of the last {@link #LOOKBACK_MS}, at {@code now}. */
    public static SystemState of(List<TimelineEntry> newestFirst, long now) {
        List<TimelineEntry> firing = new ArrayList<>();
        List<TimelineEntry> running = new ArrayList<>();
        List<TimelineEntry> failed = new ArrayList<>();
        Set<String> alertsSeen = new HashSet<>();
        Set<String> runsSeen = new HashSet<>();
        for (TimelineEntry e : newestFirst) {
            if (e.kind() == Kind.EVENT && e.status() != null && e.type() != null) {
                String alert = e.type().substring(0, e.type().lastIndexOf('.')) + '\u0000' + e.subject();
                if (alertsSeen.add(alert) && e.status().equals("firing")) {
                    firing.add(e);
                }
            } else if (e.kind() == Kind.FLOW && e.flow() != null) {
                if (runsSeen.add(e.flow()) && !FINAL.contains(e.status())) {
                    running.add(e);
                }
            } else if (e.kind() == Kind.RESULT && "failed".equals(e.status()) && e.time() >= now - 3_600_000L) {
                failed.add(e);
            }
        }
        return new SystemState(firing, running, failed);
    }
}
