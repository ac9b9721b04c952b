package dev.reflex.bench;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;

/** What the cluster says of itself through the Admin API: who leads, and whether every replica is back in sync. */
final class ClusterState {
    private ClusterState() {}

    /** The broker that leads most partitions of {@code topics}. */
    static int leaderOfMost(Admin admin, Collection<String> topics) throws Exception {
        Map<Integer, Integer> led = new HashMap<>();
        for (TopicDescription topic : admin.describeTopics(topics)
                .allTopicNames()
                .get(30, TimeUnit.SECONDS)
                .values()) {
            for (TopicPartitionInfo partition : topic.partitions()) {
                if (partition.leader() != null) {
                    led.merge(partition.leader().id(), 1, Integer::sum);
                }
            }
        }
        return led.entrySet().stream()
                .max(Map.Entry.comparingByValue())
                .map(Map.Entry::getKey)
                .orElse(1);
    }

    /** The node that leads the controller quorum. */
    static int activeController(Admin admin) throws Exception {
        return admin.describeMetadataQuorum()
                .quorumInfo()
                .get(30, TimeUnit.SECONDS)
                .leaderId();
    }

    /**
     * Waits until every partition of {@code topics} has all three replicas in sync again (after a broker came back), so
     * the next fault starts from a whole cluster; returns false when that took longer than {@code timeout}.
     */
    static boolean awaitInSync(Admin admin, Collection<String> topics, int brokers, Duration timeout)
            throws InterruptedException {
        long until = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < until) {
            try {
                boolean whole = admin.describeTopics(topics).allTopicNames().get(10, TimeUnit.SECONDS).values().stream()
                        .flatMap(t -> t.partitions().stream())
                        .allMatch(p -> p.isr().size() == brokers);
                if (whole
                        && admin.describeCluster()
                                        .nodes()
                                        .get(10, TimeUnit.SECONDS)
                                        .size()
                                == brokers) {
                    return true;
                }
            } catch (Exception e) {
                // a broker still starting: ask again
            }
            Thread.sleep(500);
        }
        return false;
    }
}
