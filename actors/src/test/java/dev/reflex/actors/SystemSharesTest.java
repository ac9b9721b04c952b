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
    void aShareOfARateCountsEveryStartBeforeItAndOnlyItsOwnAfter() {
        SystemRate rate = new SystemRate();
        rate.rate(new Rate(4, 1_000L));
        SystemShares.Share half = new SystemShares.Share("rate 4/1000ms", Integer.MAX_VALUE, 2, 1_000L);
        rate.learned(100); // read back at start, before any share: an earlier start
        rate.began(500);
        rate.learned(450); // read back at the assignment: before the share began
        rate.learned(600); // another member's, within its own share
        assertThat(rate.mayStart(700, half))
                .as("two earlier starts fill a share of 2")
                .isFalse();
        assertThat(rate.mayStart(1_100, half))
                .as("the start at 100 left the window")
                .isTrue();
        rate.started(1_100, half);
        assertThat(rate.mayStart(1_200, half)).isFalse();
        assertThat(rate.mayStart(1_450, half)).as("450 left the window").isTrue();
        rate.started(1_450, half);
        assertThat(rate.mayStart(2_099, half)).isFalse();
        // a new share: this member's own starts count as earlier ones for everybody's share now
        rate.began(2_000);
        SystemShares.Share all = new SystemShares.Share("rate 4/1000ms", Integer.MAX_VALUE, 4, 1_000L);
        assertThat(rate.mayStart(2_050, all)).isTrue();
        rate.started(2_050, all);
        rate.started(2_060, all);
        assertThat(rate.mayStart(2_070, all))
                .as("1100, 1450, 2050, 2060 in the window")
                .isFalse();
        assertThat(rate.mayStart(2_100, all)).as("1100 left it").isTrue();
        rate.started(2_100, all);
        assertThat(rate.mayStart(2_110, all)).isFalse();
    }
}
