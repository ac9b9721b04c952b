package dev.reflex.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.reflex.schemas.Decision;
import dev.reflex.schemas.DecisionDetail;
import dev.reflex.schemas.Outcome;
import dev.reflex.schemas.RuleOutcome;

/** The API's memory of recent decisions: the last N, an event's correlation steps folded into its decision. */
class RecentDecisionsTest {
    private static Decision decision(String eventId, DecisionDetail detail, Outcome outcome, String... actionIds) {
        RuleOutcome rule = RuleOutcome.newBuilder()
                .setRuleId("r")
                .setRuleVersion("v1")
                .setOutcome(outcome)
                .setDetail(null)
                .build();
        return Decision.newBuilder()
                .setEventId(eventId)
                .setEventSource("s")
                .setEventType("t")
                .setSubject(null)
                .setDecidedAt(Instant.EPOCH)
                .setEngineInstance("i")
                .setRules(List.of(rule))
                .setActionIds(List.of(actionIds))
                .setRegisterOps(List.of())
                .setRegistersRead(Map.of())
                .setRulesConsidered(1)
                .setEvaluationMicros(1)
                .setDetail(detail)
                .build();
    }

    @Test
    void keepsTheLastDecisionsAndForgetsTheOldestFirst() {
        RecentDecisions recent = new RecentDecisions(3);
        for (int i = 1; i <= 4; i++) {
            recent.put(decision("e-" + i, DecisionDetail.FULL, Outcome.MATCHED, "a-" + i));
        }

        assertThat(recent.size()).isEqualTo(3);
        assertThat(recent.get("e-1")).isEmpty();
        assertThat(recent.get("e-2"))
                .hasValueSatisfying(d -> assertThat(d.getActionIds()).containsExactly("a-2"));
        assertThat(recent.get("e-4"))
                .hasValueSatisfying(d -> assertThat(d.getActionIds()).containsExactly("a-4"));
    }

    @Test
    void aCorrelationStepIsFoldedIntoItsEventsDecisionWhicheverCameFirst() {
        RecentDecisions recent = new RecentDecisions(10);
        recent.put(decision("e-1", DecisionDetail.FULL, Outcome.CORRELATING));
        recent.put(decision("e-1", DecisionDetail.CORRELATION, Outcome.FIRED, "a-1"));
        recent.put(decision("e-2", DecisionDetail.CORRELATION, Outcome.FIRED, "a-2"));
        recent.put(decision("e-2", DecisionDetail.FULL, Outcome.CORRELATING));

        for (String event : List.of("e-1", "e-2")) {
            Decision story = recent.get(event).orElseThrow();
            assertThat(story.getDetail()).as(event).isEqualTo(DecisionDetail.FULL);
            assertThat(story.getRules())
                    .as(event)
                    .extracting(RuleOutcome::getOutcome)
                    .containsExactly(Outcome.FIRED);
            assertThat(story.getActionIds()).as(event).containsExactly(event.replace("e-", "a-"));
        }
    }

    @Test
    void aLaterDecisionOfTheSameEventReplacesTheEarlier() {
        RecentDecisions recent = new RecentDecisions(10);
        recent.put(decision("e-1", DecisionDetail.FULL, Outcome.MATCHED, "old"));
        recent.put(decision("e-1", DecisionDetail.FULL, Outcome.MATCHED, "new"));

        assertThat(recent.get("e-1"))
                .hasValueSatisfying(d -> assertThat(d.getActionIds()).containsExactly("new"));
    }

    @Test
    void aCapacityOfZeroKeepsNothing() {
        RecentDecisions recent = new RecentDecisions(0);
        recent.put(decision("e-1", DecisionDetail.FULL, Outcome.MATCHED));

        assertThat(recent.get("e-1")).isEmpty();
        assertThat(recent.size()).isZero();
    }
}
