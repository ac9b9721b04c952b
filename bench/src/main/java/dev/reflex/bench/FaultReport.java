package dev.reflex.bench;

import java.util.List;

/** What a fault run found: nothing wrong, or the problems (losses, duplicates, crashes) it saw. */
interface FaultReport {
    List<String> problems();

    default boolean ok() {
        return problems().isEmpty();
    }
}
