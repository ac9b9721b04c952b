package dev.reflex.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.TopicSpec;

/**
 * The timeline with more stream threads than one (reflex.timeline.threads): every event and its decision is recorded
 * once, and a system's timeline is read from every thread's tasks.
 */
@Tag("integration")
class TimelineThreadsIntegrationTest {
    private static final int EVENTS = 400;
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void twoTimelineThreadsRecordEveryEventAndDecisionOnce(@TempDir Path dir) throws Exception {
        TopicNames names = new TopicNames("tt" + UUID.randomUUID().toString().substring(0, 8) + ".");
        TestEngines.topicsAndRule(
                names, dir, """
                id: page-on-oom
                when: {source: k8s, type: pod.oom}
                then:
                  - {system: ops, action: page, params: {pod: "${event.subject}"}}
                """, new TopicSpec(names.ingest("k8s"), false), new TopicSpec(names.actions("ops"), false));
        TestEngines.produceJson(names.ingest("k8s"), EVENTS, "pod.oom");
        Map<String, Object> settings = TestEngines.settings(names, dir.resolve("state"));
        settings.put(EngineConfig.API_PORT_CONFIG, 0);
        settings.put(EngineConfig.TIMELINE_THREADS_CONFIG, 2);
        settings.put("consumer.auto.offset.reset", "earliest");
        try (EngineProcess process = EngineProcess.start(settings)) {
            String all = process.apiUrl().orElseThrow() + "/api/timeline/*?limit=5000";
            Map<String, Integer> seen = Map.of();
            long until = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (count(seen, "ev-") + count(seen, "decision/") < 2 * EVENTS && System.nanoTime() < until) {
                Thread.sleep(250);
                seen = entries(all);
            }
            assertThat(count(seen, "ev-")).as("events on the timeline").isEqualTo(EVENTS);
            assertThat(count(seen, "decision/")).as("decisions on the timeline").isEqualTo(EVENTS);
            assertThat(seen.entrySet().stream()
                            .filter(e -> e.getValue() > 1)
                            .map(Map.Entry::getKey)
                            .toList())
                    .as("entries listed more than once")
                    .isEmpty();
            for (int i = 0; i < EVENTS; i++) {
                assertThat(seen.containsKey("ev-" + i))
                        .as("ev-%d on the timeline", i)
                        .isTrue();
            }
            List<String> threads = Thread.getAllStackTraces().keySet().stream()
                    .map(Thread::getName)
                    .filter(n -> n.contains(names.prefix() + "engine-timeline-") && n.matches(".*StreamThread-\\d+$"))
                    .toList();
            assertThat(threads).as("the timeline's stream threads").hasSize(2);
            assertThat(process.engine().threadFailures()).isZero();
        }
    }

    private static long count(Map<String, Integer> seen, String prefix) {
        return seen.keySet().stream().filter(id -> id.startsWith(prefix)).count();
    }

    /** How many times each entry id is on the timeline, or nothing while the timeline cannot be read yet. */
    private static Map<String, Integer> entries(String url) throws Exception {
        var response = TestEngines.get(url);
        Map<String, Integer> count = new HashMap<>();
        if (response.statusCode() != 200) {
            return count;
        }
        for (JsonNode entry : JSON.readTree(response.body()).path("entries")) {
            count.merge(entry.path("id").asText(), 1, Integer::sum);
        }
        return count;
    }
}
