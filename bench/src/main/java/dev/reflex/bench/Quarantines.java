package dev.reflex.bench;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.reflex.schemas.Decision;
import dev.reflex.schemas.Outcome;
import dev.reflex.schemas.RuleOutcome;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.serde.ReflexSerdes;

/**
 * Rules an engine judged too slow, as the decisions record them: a rule quarantined on an instance emits nothing there
 * until a new version, so a run whose rules are trivial must find none. Named in the runs' problems, because the effect
 * (a share of the events decided but not acted on, nothing armed, nothing fired after a restart) looks like a stall.
 */
final class Quarantines {
    private Quarantines() {}

    /** One line per rule and instance: how many of its outcomes were over the budget or quarantined, and the first reason. */
    static List<String> of(String bootstrap, ReflexSerdes serdes, TopicNames names) {
        Map<String, int[]> counts = new TreeMap<>();
        Map<String, String> reasons = new TreeMap<>();
        for (var record : TopicReader.readCommitted(
                bootstrap, names.decisions(), serdes.value(Decision.class).deserializer())) {
            for (RuleOutcome o : record.value().getRules()) {
                boolean slow = o.getOutcome() == Outcome.ERROR
                        && o.getDetail() != null
                        && o.getDetail().toString().contains("over the budget");
                if (slow || o.getOutcome() == Outcome.QUARANTINED) {
                    String key =
                            "rule " + o.getRuleId() + " on " + record.value().getEngineInstance();
                    counts.computeIfAbsent(key, k -> new int[1])[0]++;
                    reasons.putIfAbsent(key, String.valueOf(o.getDetail()));
                }
            }
        }
        return counts.entrySet().stream()
                .map(e -> e.getKey() + " was judged too slow or quarantined in " + e.getValue()[0]
                        + " outcomes (first: " + reasons.get(e.getKey()) + ")")
                .toList();
    }
}
