package dev.reflex.audit;

import java.time.Instant;
import java.util.List;

import dev.reflex.schemas.Rule;

/** Recorded events evaluated against proposed rules, on every core, compared with what was decided. */
public final class WhatIfRun {
    /** The comparison, what reading found, and how long it took. */
    public record Report(WhatIf whatIf, HistoryReader.PairStats pairs, double seconds) {
    }

    private WhatIfRun() {
    }

    /** Evaluates events stamped in [start, end] (of {@code source} only, unless null) against {@code proposed}. */
    public static Report run(HistoryReader reader, DecisionReplay replay, List<Rule> proposed, Instant start, Instant end,
                             String source, ReadProgress progress) throws Exception {
        long began = System.nanoTime();
        WhatIf whatIf = new WhatIf(WhatIf.index(proposed), replay);
        HistoryReader.PairStats stats;
        try (ParallelReplay<WhatIf.Comparison> parallel = new ParallelReplay<>(ParallelReplay.threads(),
                (event, time, decision) -> whatIf.compare(event, decision, Instant.ofEpochMilli(time)), whatIf::add)) {
            stats = reader.pairs(start, end, source, parallel, progress);
            parallel.finish();
        }
        return new Report(whatIf, stats, (System.nanoTime() - began) / 1e9);
    }
}
