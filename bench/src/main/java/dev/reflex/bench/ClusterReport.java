package dev.reflex.bench;

import java.util.List;

import dev.reflex.bench.ClusterFaultRun.Fault;

/** What the cluster fault run found, per kind of fault and in all; its last line is for scripts. */
record ClusterReport(
        List<FaultLine> faults,
        int injected,
        int events,
        int lost,
        int duplicated,
        int early,
        int deadlines,
        long lateP50,
        long lateMax,
        List<String> problems)
        implements FaultReport {
    /** One kind of fault: how often it was injected, what it did to the events, how long it was felt. */
    record FaultLine(
            Fault fault,
            int injected,
            int events,
            int decided,
            int lost,
            int duplicated,
            long recoverP50,
            long recoverMax) {
        @Override
        public String toString() {
            return String.format(
                    "%-16s %d faults, %,d events, %,d decided, lost %d, duplicated %d, time to recover p50 %.1f s, max %.1f s",
                    fault.id() + ":", injected, events, decided, lost, duplicated, recoverP50 / 1e3, recoverMax / 1e3);
        }
    }

    @Override
    public String toString() {
        StringBuilder out = new StringBuilder();
        faults.forEach(f -> out.append(f).append('\n'));
        out.append(
                String.format("%,d deadlines fired (late by p50 %,d ms, max %,d ms)%n", deadlines, lateP50, lateMax));
        if (!problems.isEmpty()) {
            out.append(problems.size())
                    .append(" problems: ")
                    .append(problems.subList(0, Math.min(20, problems.size())))
                    .append('\n');
        }
        return out.append(String.format(
                        "cluster faults: %d faults, %d events, lost %d, duplicated %d, early deadlines %d",
                        injected, events, lost, duplicated, early))
                .toString();
    }
}
