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

    private static List<Long> offsets(List<ActionQueue.Slot<String>> slots) {
        return slots.stream().map(s -> s.offset).toList();
    }

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
    void onlyAPartitionsDonePrefixIsTakenToCommit() {
        ActionQueue.Slot<String> a = queue.addAction(P0, 10, "a");
        ActionQueue.Slot<String> b = queue.addAction(P0, 11, "b");
        queue.addDone(P0, 12, "dead letter");
        queue.startable();
        queue.finished(b, "b done");
        assertThat(queue.takeDone()).as("10 still runs").isEmpty();
        queue.finished(a, "a done");
        Map<TopicPartition, List<ActionQueue.Slot<String>>> done = queue.takeDone();
        assertThat(offsets(done.get(P0))).containsExactly(10L, 11L, 12L);
        assertThat(done.get(P0))
                .extracting(ActionQueue.Slot::outcome)
                .containsExactly("a done", "b done", "dead letter");
        assertThat(queue.size()).isZero();
        assertThat(queue.takeDone()).isEmpty();
    }

    @Test
    void recordsWithNothingToRunAreDoneAtOnce() {
        queue.addDone(P1, 3, null);
        queue.addDone(P1, 4, "skipped");
        assertThat(queue.startable()).isEmpty();
        assertThat(offsets(queue.takeDone().get(P1))).containsExactly(3L, 4L);
    }

    @Test
    void actionsWithoutTargetWaitForNoOther() {
        queue.addAction(P0, 0, null);
        queue.addAction(P0, 1, null);
        assertThat(queue.startable()).hasSize(2);
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
        assertThat(one.takeDone()).isEmpty();
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
