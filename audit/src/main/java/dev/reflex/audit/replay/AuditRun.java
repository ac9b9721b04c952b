package dev.reflex.audit.replay;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.reflex.audit.history.HistoryReader;
import dev.reflex.audit.history.PairHandler;
import dev.reflex.audit.history.PairStats;
import dev.reflex.audit.history.ReadProgress;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.DecisionDetail;
import dev.reflex.schemas.Event;

/**
 * An audit of recorded history: every event in a range re-evaluated with the rule versions and register values its
 * decision recorded, on every core, and every correlation step re-run from the state it recorded, with the decisions that do not reproduce kept in reading order (so what is shown
 * first does not depend on which core was faster).
 */
public final class AuditRun {
    /** A decision that did not reproduce: the event (null for a correlation step), the decision, and what differs. */
    public record Difference(Event event, Decision decision, List<String> differences) {}

    /**
     * What the audit found.
     *
     * @param pairs          what reading and pairing found
     * @param reproduced     decisions that reproduced
     * @param notReproduced  decisions that did not
     * @param differences    the first {@code show} of those, in reading order
     * @param unverifiable   decisions that could not be checked, counted by the reason
     * @param seconds        how long it took
     */
    public record Report(
            PairStats pairs,
            long reproduced,
            long notReproduced,
            List<Difference> differences,
            Map<String, Long> unverifiable,
            double seconds) {
        /** True when every decision checked reproduced. */
        public boolean ok() {
            return notReproduced == 0;
        }
    }

    private AuditRun() {}

    /** Audits events stamped in [start, end] (of {@code source} only, unless null), keeping {@code show} differences. */
    public static Report run(
            HistoryReader reader,
            DecisionReplay replay,
            Instant start,
            Instant end,
            String source,
            int show,
            ReadProgress progress)
            throws Exception {
        long began = System.nanoTime();
        long[] counts = new long[DecisionReplay.Status.values().length];
        TreeMap<Long, Difference> different = new TreeMap<>();
        Map<String, Long> unverifiable = new TreeMap<>();
        record Checked(Event event, Decision decision, DecisionReplay.Check check) {}
        // results are merged by the workers, one at a time, and by this thread for correlation steps
        ParallelReplay.Merge<Checked> merge = (sequence, checked) -> {
            if (checked == null) {
                return;
            }
            DecisionReplay.Check check = checked.check();
            counts[check.status().ordinal()]++;
            switch (check.status()) {
                case DIFFERENT -> {
                    different.put(sequence, new Difference(checked.event(), checked.decision(), check.differences()));
                    if (different.size() > show) {
                        different.pollLastEntry();
                    }
                }
                case UNVERIFIABLE -> unverifiable.merge(check.reason(), 1L, Long::sum);
                case REPRODUCED -> {}
            }
        };
        CorrelationReplay correlations = new CorrelationReplay(replay.history());
        FlowReplay flows = new FlowReplay(replay.history());
        PairStats stats;
        try (ParallelReplay<Checked> parallel = new ParallelReplay<>(
                ParallelReplay.threads(),
                (event, time, decision) ->
                        decision == null ? null : new Checked(event, decision, replay.check(event, decision)),
                merge)) {
            long[] steps = {0};
            PairHandler handler = new PairHandler() {
                @Override
                public void accept(Event event, long eventTime, Decision decision) {
                    parallel.accept(event, eventTime, decision);
                }

                @Override
                public void correlation(Decision decision, long time) {
                    if (source == null || source.equals(decision.getEventSource())) {
                        // correlation steps are few and cheap to re-run; shown after the events' decisions
                        Checked checked = new Checked(
                                null,
                                decision,
                                decision.getDetail() == DecisionDetail.FLOW
                                        ? flows.check(decision)
                                        : correlations.check(decision));
                        synchronized (merge) {
                            merge.accept(Long.MAX_VALUE / 2 + steps[0]++, checked);
                        }
                    }
                }
            };
            stats = reader.pairs(start, end, source, handler, progress);
            parallel.finish();
        }
        return new Report(
                stats,
                counts[DecisionReplay.Status.REPRODUCED.ordinal()],
                counts[DecisionReplay.Status.DIFFERENT.ordinal()],
                new ArrayList<>(different.values()),
                unverifiable,
                (System.nanoTime() - began) / 1e9);
    }
}
