package dev.reflex.actors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import dev.reflex.schemas.Rate;
import dev.reflex.schemas.SystemLimits;

class SystemSharesTest {
    private static List<TopicPartition> partitions(int n) {
        List<TopicPartition> all = new ArrayList<>();
        for (int p = n - 1; p >= 0; p--) {
            all.add(new TopicPartition("reflex.actions.db", p));
        }
        return all;
    }

    private static SystemLimits limits(Integer concurrency, Rate rate) {
        return SystemLimits.newBuilder()
                .setSystemConcurrency(concurrency)
                .setSystemRate(rate)
                .build();
    }

    @Test
    void sharesAddUpToEachLimitAndEveryPartitionGoesToOneMember() {
        Map<String, SystemShares.Part> parts =
                SystemShares.assign(List.of("m-c", "m-a", "m-b"), partitions(12), limits(8, new Rate(100, 60_000L)));
        assertThat(parts).containsOnlyKeys("m-a", "m-b", "m-c");
        assertThat(parts.values().stream()
                        .mapToInt(p -> p.share().concurrency())
                        .sum())
                .isEqualTo(8);
        assertThat(parts.values().stream().mapToInt(p -> p.share().rateCount()).sum())
                .isEqualTo(100);
        assertThat(parts.get("m-a").share().concurrency()).isEqualTo(3);
        assertThat(parts.get("m-c").share().concurrency()).isEqualTo(2);
        assertThat(parts.get("m-a").share().rateWindowMs()).isEqualTo(60_000L);
        List<TopicPartition> all = new ArrayList<>();
        parts.values().forEach(p -> all.addAll(p.partitions()));
        assertThat(all).containsExactlyInAnyOrderElementsOf(partitions(12));
        assertThat(parts.values()).allMatch(p -> p.partitions().size() == 4);
    }

    @Test
    void aLimitBelowTheMembersGoesToThatManyOnlySoNoPartitionWaitsOnAShareOfZero() {
        Map<String, SystemShares.Part> parts =
                SystemShares.assign(List.of("m-a", "m-b", "m-c"), partitions(6), limits(null, new Rate(2, 1_000L)));
        assertThat(parts.get("m-a").partitions()).hasSize(3);
        assertThat(parts.get("m-b").partitions()).hasSize(3);
        assertThat(parts.get("m-c").partitions()).as("no share, no partitions").isEmpty();
        assertThat(parts.get("m-a").share().rateCount()).isEqualTo(1);
        assertThat(parts.get("m-a").share().concurrency())
                .as("no system-wide concurrency")
                .isEqualTo(Integer.MAX_VALUE);
        Map<String, SystemShares.Part> one = SystemShares.assign(List.of("m-a", "m-b"), partitions(4), limits(1, null));
        assertThat(one.get("m-a").partitions()).hasSize(4);
        assertThat(one.get("m-a").share().concurrency()).isEqualTo(1);
        assertThat(one.get("m-b").partitions()).isEmpty();
    }

    @Test
    void withoutSystemWideLimitsEveryMemberTakesPartAndNothingLimitsIt() {
        Map<String, SystemShares.Part> parts = SystemShares.assign(List.of("m-a", "m-b"), partitions(3), null);
        assertThat(parts.get("m-a").partitions()).hasSize(2);
        assertThat(parts.get("m-b").partitions()).hasSize(1);
        assertThat(parts.get("m-b").share()).isEqualTo(SystemShares.Share.NONE);
        assertThat(SystemShares.assign(List.of("m-a", "m-b", "m-c"), partitions(2), limits(10, null))
                        .get("m-c")
                        .partitions())
                .as("more members than partitions")
                .isEmpty();
    }

    @Test
    void aShareTravelsWithTheAssignmentAndAChangedCatalogMakesItStale() {
        SystemShares.Share share = new SystemShares.Share("concurrency 8", 3, Integer.MAX_VALUE, 0);
        assertThat(SystemShares.decode(SystemShares.encode(share))).isEqualTo(share);
        assertThatThrownBy(() -> SystemShares.decode(ByteBuffer.allocate(0)))
                .hasMessageContaining("same Reflex version");

        SystemShares.State state = new SystemShares.State();
        state.limits(limits(8, null));
        assertThat(state.stale()).as("nothing assigned yet").isFalse();
        state.assigned(share);
        assertThat(state.stale()).isFalse();
        state.limits(limits(4, null));
        assertThat(state.stale()).isTrue();
        state.limits(null);
        assertThat(state.stale()).isTrue();
        state.assigned(SystemShares.Share.NONE);
        assertThat(state.stale()).isFalse();
    }

    @Test
    void aShareOfARateCountsEveryActionBeforeItAndOnlyItsOwnAfterRunningOnesAlwaysAndFinishedOnesFromTheirFinish() {
        SystemRate rate = new SystemRate();
        rate.rate(new Rate(4, 1_000L));
        SystemShares.Share half = new SystemShares.Share("rate 4/1000ms", Integer.MAX_VALUE, 2, 1_000L);
        rate.learned(100); // read back at start, before any share: an earlier action, finished at 100
        rate.began(500);
        rate.learned(450); // read back at the assignment: finished before the share began
        rate.learned(600); // another member's, within its own share
        assertThat(rate.mayStart(700, half))
                .as("two earlier actions fill a share of 2")
                .isFalse();
        assertThat(rate.mayStart(1_100, half))
                .as("the one of 100 left the window")
                .isTrue();
        rate.started(1_100, half);
        assertThat(rate.mayStart(1_200, half)).isFalse();
        assertThat(rate.mayStart(1_450, half)).as("450 left the window").isTrue();
        rate.started(1_450, half);
        assertThat(rate.mayStart(2_600, half))
                .as("running actions count however long they run")
                .isFalse();
        // finished: counted from the finish, when the system has surely seen it, however late the call reached it
        rate.finished(1_100, 1_200);
        assertThat(rate.mayStart(2_199, half)).isFalse();
        assertThat(rate.mayStart(2_200, half)).as("1200 left the window").isTrue();
        rate.finished(1_450, 2_300);
        // a new share: this member's own actions count as earlier ones for everybody's share now
        rate.began(2_400);
        SystemShares.Share all = new SystemShares.Share("rate 4/1000ms", Integer.MAX_VALUE, 4, 1_000L);
        assertThat(rate.mayStart(2_450, all)).isTrue();
        rate.started(2_450, all);
        rate.started(2_460, all);
        rate.started(2_470, all);
        assertThat(rate.mayStart(2_480, all))
                .as("2300 (earlier), 2450, 2460, 2470 (running)")
                .isFalse();
        rate.finished(2_450, 2_500);
        assertThat(rate.mayStart(3_299, all)).isFalse();
        assertThat(rate.mayStart(3_300, all)).as("2300 left it").isTrue();
    }

    @Test
    void anActionStillRunningWhenANewShareBeginsCountsAsAnEarlierOneFromThen() {
        SystemRate rate = new SystemRate();
        rate.rate(new Rate(1, 1_000L));
        SystemShares.Share one = new SystemShares.Share("rate 1/1000ms", Integer.MAX_VALUE, 1, 1_000L);
        rate.began(0);
        rate.started(100, one);
        rate.began(5_000);
        assertThat(rate.mayStart(5_999, one)).isFalse();
        assertThat(rate.mayStart(6_000, one)).isTrue();
        rate.finished(100, 6_500); // counted already: not again
        assertThat(rate.mayStart(6_600, one)).isTrue();
    }
}
