package dev.reflex.audit.replay;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

import dev.reflex.audit.history.RuleHistory;
import dev.reflex.rules.CompiledRule;
import dev.reflex.rules.Evaluation;
import dev.reflex.rules.Evaluator;
import dev.reflex.rules.IndexedRule;
import dev.reflex.rules.QuarantinedRule;
import dev.reflex.rules.RuleIndex;
import dev.reflex.schemas.Action;
import dev.reflex.schemas.Correlate;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.DecisionDetail;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.Outcome;
import dev.reflex.schemas.Rule;
import dev.reflex.schemas.RuleOutcome;

/**
 * Re-evaluates recorded events the way the engine evaluated them: with the rule versions and register values their
 * decisions recorded, at the recorded decision time (what {@code now()} returned). Pure: no Kafka, no side effects.
 */
public final class DecisionReplay {
    /** What re-evaluating one decision showed. */
    public record Check(Status status, List<String> differences, String reason) {
        static final Check REPRODUCED = new Check(Status.REPRODUCED, List.of(), null);

        public boolean reproduced() {
            return status == Status.REPRODUCED;
        }
    }

    public enum Status {
        /** The replay gave the recorded outcomes, actions and register operations. */
        REPRODUCED,
        /** The replay gave something else; {@link Check#differences()} says what. */
        DIFFERENT,
        /** The replay cannot tell (a rule version is not in the history); {@link Check#reason()} says why. */
        UNVERIFIABLE
    }

    /** The replayed evaluation of a full decision, or why it could not be replayed. */
    public record Replayed(Evaluation evaluation, Set<String> unrecordedReads, String unavailable) {}

    private static final String SLOW_MARK = "over the budget of";

    private final RuleHistory history;

    public DecisionReplay(RuleHistory history) {
        this.history = history;
    }

    public RuleHistory history() {
        return history;
    }

    /** Re-evaluates {@code event} with the rules and register values {@code decision} recorded. */
    public Replayed replay(Event event, Decision decision) {
        List<IndexedRule> candidates = new ArrayList<>(decision.getRules().size());
        for (RuleOutcome recorded : decision.getRules()) {
            Optional<IndexedRule> rule = history.compiled(recorded.getRuleId(), recorded.getRuleVersion());
            if (rule.isEmpty()) {
                return new Replayed(
                        null,
                        Set.of(),
                        "rule " + recorded.getRuleId() + " version " + recorded.getRuleVersion()
                                + " is not in the rule history");
            }
            // quarantine is the engine's state at the time, not part of the rule: take it as recorded
            if (recorded.getOutcome() == Outcome.QUARANTINED || isSlow(recorded)) {
                candidates.add(new QuarantinedRule(rule.get().rule(), String.valueOf(recorded.getDetail())));
            } else {
                candidates.add(rule.get());
            }
        }
        Set<String> unrecorded = new LinkedHashSet<>();
        Function<String, String> registers = recordedRegisters(decision, unrecorded);
        Evaluation evaluation =
                Evaluator.evaluate(event, candidates, registers, decision.getDecidedAt(), Long.MAX_VALUE);
        return new Replayed(evaluation, unrecorded, null);
    }

    /** Register values as the decision recorded them; a register it did not record reads as unset and is noted. */
    public static Function<String, String> recordedRegisters(Decision decision, Set<String> unrecorded) {
        Map<String, String> read = decision == null ? Map.of() : decision.getRegistersRead();
        return name -> {
            if (!read.containsKey(name)) {
                unrecorded.add(name);
                return null;
            }
            return read.get(name);
        };
    }

    /** Checks that {@code decision} is what its rules say for {@code event}. */
    public Check check(Event event, Decision decision) {
        if (decision.getDetail() == DecisionDetail.SUMMARY) {
            return checkSummary(event, decision);
        }
        List<String> differences = new ArrayList<>();
        for (RuleOutcome recorded : decision.getRules()) {
            String source = null;
            String type = null;
            Optional<Rule> rule = history.version(recorded.getRuleId(), recorded.getRuleVersion());
            boolean fits = true;
            if (rule.isPresent()) {
                source = rule.get().getWhen().getSource();
                type = rule.get().getWhen().getType();
                fits = fits(source, type, event) || companionFits(rule.get(), event);
            }
            if (!fits) {
                differences.add("rule " + recorded.getRuleId() + " listens to "
                        + (source == null ? "any source" : source) + " / " + (type == null ? "any type" : type)
                        + " and cannot have been considered for this event");
            }
        }
        Replayed replayed = replay(event, decision);
        if (replayed.unavailable() != null) {
            return new Check(Status.UNVERIFIABLE, List.of(), replayed.unavailable());
        }
        Evaluation evaluation = replayed.evaluation();
        List<RuleOutcome> recorded = decision.getRules();
        for (int i = 0; i < recorded.size(); i++) {
            RuleOutcome was = recorded.get(i);
            RuleOutcome now = evaluation.outcomes().get(i);
            Outcome expected = isSlow(was) ? Outcome.QUARANTINED : was.getOutcome();
            if (now.getOutcome() != expected) {
                differences.add("rule " + was.getRuleId() + ": recorded " + was.getOutcome() + ", replayed "
                        + now.getOutcome() + (now.getDetail() == null ? "" : " (" + now.getDetail() + ")"));
            } else if (expected == Outcome.ERROR && !Objects.equals(was.getDetail(), now.getDetail())) {
                differences.add("rule " + was.getRuleId() + ": recorded error '" + was.getDetail() + "', replayed '"
                        + now.getDetail() + "'");
            }
        }
        List<String> actionIds =
                evaluation.actions().stream().map(Action::getId).toList();
        if (!actionIds.equals(decision.getActionIds())) {
            differences.add("actions: recorded " + decision.getActionIds() + ", replayed " + actionIds);
        }
        List<String> ops = evaluation.registerOps().stream()
                .map(op -> op.getOp().name().toLowerCase() + ":" + op.getName())
                .toList();
        if (!ops.equals(decision.getRegisterOps())) {
            differences.add("register operations: recorded " + decision.getRegisterOps() + ", replayed " + ops);
        }
        for (String name : replayed.unrecordedReads()) {
            differences.add("the replay read register '" + name + "', which the decision does not record");
        }
        if (decision.getRules().stream().noneMatch(DecisionReplay::isSlow)) {
            for (String name : decision.getRegistersRead().keySet()) {
                if (!evaluation.registersRead().containsKey(name)) {
                    differences.add(
                            "the decision records reading register '" + name + "', which the replay did not read");
                }
            }
        }
        return differences.isEmpty() ? Check.REPRODUCED : new Check(Status.DIFFERENT, differences, null);
    }

    /**
     * A summary keeps no per-rule outcomes or register values: check it against the rules live at the decision time
     * (from the history's timeline), which must consider as many rules and match none.
     */
    private Check checkSummary(Event event, Decision decision) {
        if (!history.hasTimeline()) {
            return new Check(
                    Status.UNVERIFIABLE, List.of(), "a summary decision, and the rule history has no timeline");
        }
        Instant at = decision.getDecidedAt();
        RuleIndex index = history.asOf(at.toEpochMilli());
        List<IndexedRule> candidates = index.candidates(event.getSource(), event.getType());
        Set<String> reads = new LinkedHashSet<>();
        Evaluation evaluation = Evaluator.evaluate(
                event,
                candidates,
                name -> {
                    reads.add(name);
                    return null;
                },
                at,
                Long.MAX_VALUE);
        if (evaluation.matchedAny() && !reads.isEmpty()) {
            return new Check(
                    Status.UNVERIFIABLE,
                    List.of(),
                    "a summary decision keeps no register values, and the rules read registers");
        }
        List<String> differences = new ArrayList<>();
        if (evaluation.outcomes().size() != decision.getRulesConsidered()) {
            differences.add("recorded " + decision.getRulesConsidered() + " rules considered; the rules applied at "
                    + at + " give " + evaluation.outcomes().size());
        }
        if (evaluation.matchedAny()) {
            differences.add("recorded no match; replayed matches "
                    + evaluation.outcomes().stream()
                            .filter(o -> o.getOutcome() == Outcome.MATCHED)
                            .map(RuleOutcome::getRuleId)
                            .toList());
        }
        return differences.isEmpty() ? Check.REPRODUCED : new Check(Status.DIFFERENT, differences, null);
    }

    private static boolean fits(String source, String type, Event event) {
        return (source == null || source.equals(event.getSource())) && (type == null || type.equals(event.getType()));
    }

    /**
     * Whether the event is one a correlation rule's unless or after listens to, or one a flow's wait steps listen to, or a
     * flow action's result.
     */
    private boolean companionFits(Rule rule, Event event) {
        Correlate c = rule.getCorrelate();
        if (c != null) {
            return c.getUnless() != null
                            && fits(c.getUnless().getSource(), c.getUnless().getType(), event)
                    || c.getAfter() != null
                            && fits(c.getAfter().getSource(), c.getAfter().getType(), event);
        }
        if (rule.getFlow() != null
                && history.compiled(rule.getId(), rule.getVersion()).orElse(null) instanceof CompiledRule compiled
                && compiled.flow() != null) {
            if (compiled.flow().acts() && fits("reflex", "action.succeeded", event)
                    || compiled.flow().acts() && fits("reflex", "action.failed", event)) {
                return true;
            }
            return compiled.flow().waitTriggers().stream().anyMatch(t -> fits(t[0], t[1], event));
        }
        return false;
    }

    /** A rule that ran over the time budget: its outcome depends on the machine, not on the rule. */
    static boolean isSlow(RuleOutcome outcome) {
        return outcome.getOutcome() == Outcome.ERROR
                && outcome.getDetail() != null
                && outcome.getDetail().contains(SLOW_MARK);
    }
}
