package dev.reflex.actors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class ActionQueueTest {
    private static final TopicPartition P0 = new TopicPartition("r.actions.ops", 0);
    private static final TopicPartition P1 = new TopicPartition("r.actions.ops", 1);

    private final ActionQueue<String> queue = new ActionQueue<>(3);

    @Test
    void upToTheLimitRunAtOnceButNeverTwoOfOneTarget() {
        queue.addAction(P0, 0, "db-1");
        queue.addAction(P0, 1, "db-1");
        queue.addAction(P0, 2, "db-2");
        queue.addAction(P1, 0, "web-1");
        queue.addAction(P1, 1, "web-2");
        List<ActionQueue.Slot<String>> first = queue.startable();
        assertThat(first).extracting(s -> s.target).containsExactly("db-1", "db-2", "web-1");
        assertThat(queue.startable()).as("the limit is reached").isEmpty();
        assertThat(queue.running()).isEqualTo(3);
        assertThat(queue.waiting()).isEqualTo(2);

        queue.finished(first.get(1), "db-2 done");
        assertThat(queue.startable()).extracting(s -> s.target).containsExactly("web-2");
        queue.finished(first.get(0), "db-1 done");
        assertThat(queue.startable())
                .as("db-1's second action, after its first")
                .singleElement()
                .satisfies(s -> assertThat(s.offset).isEqualTo(1));
    }

    @Test
    void outcomesAreReportedAtOnceButTheOffsetOnlyPassesAReportedPrefix() {
        ActionQueue.Slot<String> a = queue.addAction(P0, 10, "a");
        ActionQueue.Slot<String> b = queue.addAction(P0, 11, "b");
        queue.addDone(P0, 12, "dead letter");
        queue.startable();
        queue.finished(b, "b done");
        assertThat(queue.unreported(P0)).isEqualTo(3);
        assertThat(queue.takeOutcomes()).extracting(ActionQueue.Slot::outcome).containsExactly("b done", "dead letter");
        assertThat(queue.takeCommittable()).as("10 still runs").isEmpty();
        assertThat(queue.unreported(P0)).as("only 10").isEqualTo(1);
        assertThat(queue.size(P0)).isEqualTo(3);
        queue.finished(a, "a done");
        assertThat(queue.takeOutcomes()).extracting(ActionQueue.Slot::outcome).containsExactly("a done");
        assertThat(queue.takeCommittable()).containsExactly(Map.entry(P0, 13L));
        assertThat(queue.size()).isZero();
        assertThat(queue.takeOutcomes()).isEmpty();
        assertThat(queue.takeCommittable()).isEmpty();
    }

    @Test
    void recordsWithNothingToRunAreDoneAtOnce() {
        queue.addDone(P1, 3, null);
        queue.addDone(P1, 4, "skipped");
        assertThat(queue.startable()).isEmpty();
        assertThat(queue.takeOutcomes()).hasSize(2);
        assertThat(queue.takeCommittable()).containsExactly(Map.entry(P1, 5L));
    }

    @Test
    void actionsWithoutTargetWaitForNoOther() {
        queue.addAction(P0, 0, null);
        queue.addAction(P0, 1, null);
        assertThat(queue.startable()).hasSize(2);
    }

    @Test
    void heldTargetsWaitAndTheirActionsCanBeDoneWithoutRunning() {
        ActionQueue.Slot<String> db = queue.addAction(P0, 0, "db-1");
        queue.addAction(P0, 1, "web-1");
        assertThat(queue.startable(t -> !t.equals("db-1")))
                .extracting(s -> s.target)
                .containsExactly("web-1");
        assertThat(queue.waitingTargets()).containsExactly("db-1");
        assertThat(queue.waitingFor("db-1")).containsExactly(db);
        queue.doneWithoutRunning(db, "circuit open");
        assertThat(queue.waitingTargets()).isEmpty();
        assertThat(queue.takeOutcomes()).extracting(ActionQueue.Slot::outcome).containsExactly("circuit open");
        assertThatThrownBy(() -> queue.doneWithoutRunning(db, "again")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void partitionsBeingGivenUpStartNothingMoreAndTheirOffsetStopsBeforeTheirFirstWaitingAction() {
        ActionQueue<String> one = new ActionQueue<>(1);
        ActionQueue.Slot<String> first = one.addAction(P0, 0, "db-1");
        one.addAction(P0, 1, "db-2");
        one.startable();
        one.dropWaiting(List.of(P0));
        one.finished(first, "done");
        assertThat(one.startable()).isEmpty();
        one.takeOutcomes();
        assertThat(one.takeCommittable()).containsExactly(Map.entry(P0, 1L));
    }

    @Test
    void aForgottenPartitionsRunningActionsKeepTheirPlaceUntilTheyFinishAndTheRestNeverRuns() {
        ActionQueue<String> one = new ActionQueue<>(1);
        ActionQueue.Slot<String> running = one.addAction(P0, 0, "db-1");
        one.addAction(P0, 1, "db-1");
        one.addAction(P1, 0, "web-1");
        assertThat(one.startable()).containsExactly(running);
        assertThat(one.forget(List.of(P0))).containsExactly(running);
        assertThat(one.size()).isEqualTo(1);
        assertThat(one.startable()).as("the forgotten action still runs").isEmpty();
        one.finished(running, "dropped");
        assertThat(one.startable()).extracting(s -> s.target).containsExactly("web-1");
        assertThat(one.takeOutcomes()).isEmpty();
        assertThat(one.runningIn(List.of(P1))).isTrue();
        assertThat(one.runningIn(List.of(P0))).isFalse();
    }

    @Test
    void aSlotFinishesOnce() {
        ActionQueue.Slot<String> a = queue.addAction(P0, 0, "a");
        assertThatThrownBy(() -> queue.finished(a, "never started")).isInstanceOf(IllegalStateException.class);
        queue.startable();
        queue.finished(a, "done");
        assertThatThrownBy(() -> queue.finished(a, "again")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> new ActionQueue<String>(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
