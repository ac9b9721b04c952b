package dev.reflex.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.Tag;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import dev.reflex.schemas.Decision;
import dev.reflex.schemas.DecisionDetail;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.Outcome;
import dev.reflex.schemas.RuleOutcome;

/** Reflex's meters: what each decision counts, and tags taken from data stay bounded. */
class EngineMetricsTest {
    private final PrometheusMeterRegistry scrape = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final EngineMetrics metrics = new EngineMetrics(scrape);

    @Test
    void decisionsCountOutcomesMatchesErrorsAndLag() {
        Instant time = Instant.parse("2026-01-01T00:00:00Z");
        metrics.decided(
                decision(
                        time.plusMillis(250),
                        outcome("a", Outcome.MATCHED),
                        outcome("b", Outcome.ERROR),
                        outcome("c", Outcome.CONDITION_FALSE)),
                time);
        metrics.decided(decision(time, outcome("a", Outcome.FIRED)), null);
        Map<String, Double> sums = MetricSums.of(
                List.of(scrape.scrape()),
                List.of(
                        "reflex_decisions_total{outcome=\"matched\"}",
                        "reflex_decisions_total{outcome=\"condition_false\"}",
                        "reflex_decisions_total{outcome=\"fired\"}",
                        "reflex_rule_matches_total{rule=\"a\"}",
                        "reflex_rule_errors_total{rule=\"b\"}",
                        "reflex_decision_lag_seconds_count",
                        "reflex_decision_lag_seconds_sum"));
        assertThat(sums)
                .containsEntry("reflex_decisions_total{outcome=\"matched\"}", 1.0)
                .containsEntry("reflex_decisions_total{outcome=\"condition_false\"}", 1.0)
                .containsEntry("reflex_decisions_total{outcome=\"fired\"}", 1.0)
                .containsEntry("reflex_rule_matches_total{rule=\"a\"}", 2.0)
                .containsEntry("reflex_rule_errors_total{rule=\"b\"}", 1.0)
                .containsEntry("reflex_decision_lag_seconds_count", 1.0)
                .containsEntry("reflex_decision_lag_seconds_sum", 0.25);
    }

    @Test
    void aFloodOfSourcesIsCountedUnderOtherPastTheBound() {
        for (int i = 0; i < EngineMetrics.MAX_TAG_VALUES + 50; i++) {
            metrics.normalized(Event.newBuilder()
                    .setId("e" + i)
                    .setSource("s" + i)
                    .setType("t")
                    .setTime(Instant.EPOCH)
                    .build());
        }
        String text = scrape.scrape();
        assertThat(text.lines()
                        .filter(l -> l.startsWith("reflex_events_in_total{"))
                        .count())
                .isEqualTo(EngineMetrics.MAX_TAG_VALUES + 1);
        assertThat(MetricSums.of(List.of(text), List.of("reflex_events_in_total{source=\"_other\"}")))
                .containsEntry("reflex_events_in_total{source=\"_other\"}", 50.0);
    }

    @Test
    void stateStoreMetricsOfEveryStoreKindReachTheScrape() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().meterFilter(EngineMetrics.stateStoreTags());
        registry.gauge("kafka.stream.state.all.latency.avg", List.of(Tag.of("rocksdb.state.id", "seen-events")), 1.0);
        registry.gauge("kafka.stream.state.all.latency.avg", List.of(Tag.of("in.memory.state.id", "rules")), 2.0);
        assertThat(registry.scrape())
                .contains(
                        "state_id=\"seen-events\",store_type=\"rocksdb\"",
                        "state_id=\"rules\",store_type=\"in.memory\"");
    }

    private static RuleOutcome outcome(String rule, Outcome outcome) {
        return RuleOutcome.newBuilder()
                .setRuleId(rule)
                .setRuleVersion("v1")
                .setOutcome(outcome)
                .setDetail("")
                .build();
    }

    private static Decision decision(Instant decidedAt, RuleOutcome... outcomes) {
        return Decision.newBuilder()
                .setEventId("e")
                .setEventSource("s")
                .setEventType("t")
                .setSubject(null)
                .setDecidedAt(decidedAt)
                .setEngineInstance("i")
                .setRules(List.of(outcomes))
                .setActionIds(List.of())
                .setRegisterOps(List.of())
                .setRegistersRead(Map.of())
                .setRulesConsidered(outcomes.length)
                .setEvaluationMicros(10)
                .setDetail(DecisionDetail.FULL)
                .build();
    }
}
