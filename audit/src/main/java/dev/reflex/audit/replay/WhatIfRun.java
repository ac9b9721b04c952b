package dev.reflex.audit.replay;

import java.time.Instant;
import java.util.List;

import dev.reflex.audit.history.HistoryReader;
import dev.reflex.audit.history.PairHandler;
import dev.reflex.audit.history.PairStats;
import dev.reflex.audit.history.ReadProgress;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.Rule;

/** Recorded events evaluated against proposed rules, on every core, compared with what was decided. */
public final class WhatIfRun {
    /** The comparison, what reading found, and how long it took. */
    public record Report(WhatIf whatIf, PairStats pairs, double seconds) {}

    private WhatIfRun() {}

    /** Evaluates events stamped in [start, end] (of {@code source} only, unless null) against {@code proposed}. */
    public static Report run(
            HistoryReader reader,
            DecisionReplay replay,
            List<Rule> proposed,
            Instant start,
            Instant end,
            String source,
            ReadProgress progress)
            throws Exception {
        long began = System.nanoTime();
        WhatIf whatIf = new WhatIf(WhatIf.index(proposed), replay);
        PairStats stats;
        long[] read = {0};
        try (ParallelReplay<WhatIf.Comparison> parallel = new ParallelReplay<>(
                ParallelReplay.threads(),
                (event, time, decision) -> whatIf.compare(event, decision, Instant.ofEpochMilli(time)),
                whatIf::add)) {
            PairHandler handler = new PairHandler() {
                @Override
                public void accept(Event event, long eventTime, Decision decision) {
                    read[0]++;
                    if (whatIf.correlates()) {
                        // correlation depends on order: simulated here, in reading order
                        whatIf.simulate(event, eventTime);
                    }
                    parallel.accept(event, eventTime, decision);
                }

                @Override
                public void correlation(Decision decision, long time) {
                    whatIf.recorded(decision);
                }
            };
            stats = reader.pairs(start, end, source, handler, progress);
            parallel.finish();
        }
        whatIf.finishCorrelation(read[0], end != null ? end : Instant.now());
        return new Report(whatIf, stats, (System.nanoTime() - began) / 1e9);
    }
}
