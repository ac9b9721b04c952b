package dev.reflex.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.TopicSpec;

/**
 * A burst of deadlines due together pauses the timeline of the engine's process while they fire, and the timeline then
 * reads on and records every decision: armed and fired.
 */
@Tag("integration")
class TimelineYieldIntegrationTest {
    private static final int KEYS = 8_000;
    private static final Pattern PAUSED = Pattern.compile("(?m)^reflex_timeline_paused(?:\\{[^}]*})? (\\S+)$");
    private static final Pattern DECISIONS =
            Pattern.compile("(?m)^reflex_timeline_entries_total\\{[^}]*kind=\"decision\"[^}]*} (\\S+)$");

    @Test
    void theTimelinePausesWhileABurstOfDeadlinesFiresAndThenRecordsEveryDecision(@TempDir Path dir) throws Exception {
        TopicNames names = new TopicNames("ty" + UUID.randomUUID().toString().substring(0, 8) + ".");
        TestEngines.topicsAndRule(
                names, dir, """
                id: burst
                when: {source: k8s, type: pod.oom}
                correlate:
                  unless: {source: k8s, type: pod.ok, within: 4s}
                then:
                  - {system: ops, action: page, params: {pod: "${event.subject}"}}
                """, new TopicSpec(names.ingest("k8s"), false), new TopicSpec(names.actions("ops"), false));
        // a backlog, so the engine arms every deadline within a second or so and they come due together
        TestEngines.produceJson(names.ingest("k8s"), KEYS, "pod.oom");
        Map<String, Object> settings = TestEngines.settings(names, dir.resolve("state"));
        settings.put(EngineConfig.API_PORT_CONFIG, 0);
        settings.put("consumer.auto.offset.reset", "earliest");
        try (EngineProcess process = EngineProcess.start(settings)) {
            String metrics = process.apiUrl().orElseThrow() + "/metrics";
            boolean paused = false;
            long until = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (!paused && System.nanoTime() < until) {
                paused = gauge(scrape(metrics), PAUSED) == 1;
                Thread.sleep(50);
            }
            assertThat(paused)
                    .as("the timeline paused while the deadlines fired")
                    .isTrue();
            double decisions = 0;
            boolean resumed = false;
            until = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (!(resumed && decisions >= 2 * KEYS) && System.nanoTime() < until) {
                String text = scrape(metrics);
                resumed = gauge(text, PAUSED) == 0;
                decisions = gauge(text, DECISIONS);
                Thread.sleep(200);
            }
            assertThat(resumed).as("the timeline resumed").isTrue();
            assertThat(decisions)
                    .as("the timeline recorded each event's decision and each deadline's")
                    .isGreaterThanOrEqualTo(2.0 * KEYS);
            assertThat(process.engine().threadFailures()).isZero();
        }
    }

    private static String scrape(String url) throws Exception {
        return TestEngines.get(url).body();
    }

    /** The value of the one series {@code series} finds, or -1 when there is none yet. */
    private static double gauge(String text, Pattern series) {
        Matcher m = series.matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }
}
