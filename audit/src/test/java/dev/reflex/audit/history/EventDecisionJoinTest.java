package dev.reflex.audit.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.reflex.audit.replay.WhatIf;
import dev.reflex.rules.Evaluator;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.DecisionDetail;
import dev.reflex.schemas.Event;

/** The join of events with their decisions, without a broker: what reading both topics side by side hands on. */
class EventDecisionJoinTest {
    private static final Instant T0 = Instant.parse("2026-12-07T03:00:00Z");
    private static final long W = EventDecisionJoin.WINDOW_MS;
    private final List<String> handed = new ArrayList<>();
    private final PairHandler handler = new PairHandler() {
        @Override
        public void accept(Event event, long eventTime, Decision decision) {
            handed.add(
                    event.getId() + "@" + eventTime + (decision == null ? " alone" : " with " + decision.getEventId()));
        }

        @Override
        public void correlation(Decision decision, long time) {
            handed.add("step of " + decision.getEventId() + "@" + time);
        }
    };

    private static Event event(String id, String source) {
        return Event.newBuilder()
                .setId(id)
                .setSource(source)
                .setType("t")
                .setSubject("s")
                .setTime(T0)
                .setData("{}")
                .build();
    }

    private static Decision decision(Event event) {
        return Evaluator.evaluate(event, WhatIf.index(List.of()), name -> null, T0)
                .toDecision(event, "engine-1", T0);
    }

    @Test
    void anEventMeetsItsDecisionWhicheverComesFirst() {
        EventDecisionJoin join = new EventDecisionJoin(null, handler, new PairStats());
        Event a = event("a", "m");
        Event b = event("b", "m");
        join.event(a, 1_000);
        join.decision(decision(b), 1_000);
        join.decision(decision(a), 1_000);
        join.event(b, 1_000);
        PairStats stats = join.finish();
        assertThat(handed).containsExactly("a@1000 with a", "b@1000 with b");
        assertThat(stats.paired()).isEqualTo(2);
        assertThat(stats.events()).isEqualTo(2);
        assertThat(stats.decisions()).isEqualTo(2);
        assertThat(stats.withoutDecision()).isZero();
    }

    @Test
    void anEventGoesOnAloneOnceTheDecisionsReadArePastItByTheWindowAndNotBefore() {
        EventDecisionJoin join = new EventDecisionJoin(null, handler, new PairStats());
        join.event(event("a", "m"), 1_000);
        join.readUpTo(1_000, Long.MIN_VALUE); // no decision read yet: it waits
        join.readUpTo(1_000, 1_000 + W); // decisions read to exactly a window after it: still in time
        assertThat(handed).isEmpty();
        join.readUpTo(1_000, 1_001 + W); // past the window: no decision can come
        assertThat(handed).containsExactly("a@1000 alone");
        join.decision(decision(event("a", "m")), 1_000);
        PairStats stats = join.finish();
        assertThat(handed).hasSize(1);
        assertThat(stats.withoutDecision()).isEqualTo(1);
        assertThat(stats.decisionsWithoutEvent()).isEqualTo(1);
    }

    @Test
    void repeatsOtherSourcesCorrelationStepsAndUnreadableRecordsAreCountedApart() {
        EventDecisionJoin join = new EventDecisionJoin("m", handler, new PairStats());
        Event a = event("a", "m");
        join.event(a, 1_000);
        join.event(a, 1_001);
        join.event(event("x", "other"), 1_000);
        join.decision(decision(event("x", "other")), 1_000);
        join.decision(
                Decision.newBuilder(decision(a))
                        .setDetail(DecisionDetail.CORRELATION)
                        .build(),
                2_000);
        join.unreadable();
        join.decision(decision(a), 1_000);
        PairStats stats = join.finish();
        assertThat(handed).containsExactly("step of a@2000", "a@1000 with a");
        assertThat(stats.duplicates()).isEqualTo(1);
        assertThat(stats.skippedBySource()).isEqualTo(1);
        assertThat(stats.correlationSteps()).isEqualTo(1);
        assertThat(stats.unreadable()).isEqualTo(1);
        assertThat(stats.decisions()).isEqualTo(1);
        assertThat(stats.decisionsWithoutEvent()).isZero();
    }
}
