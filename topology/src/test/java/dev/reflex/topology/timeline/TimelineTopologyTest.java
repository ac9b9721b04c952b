package dev.reflex.topology.timeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.reflex.schemas.DeadLetter;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.DecisionDetail;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.FlowTransition;
import dev.reflex.schemas.Outcome;
import dev.reflex.schemas.Rule;
import dev.reflex.schemas.RuleOutcome;
import dev.reflex.schemas.RuleTrigger;
import dev.reflex.schemas.SystemDef;
import dev.reflex.schemas.SystemMatch;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.Topics;
import dev.reflex.schemas.TransitionKind;
import dev.reflex.schemas.registry.InMemorySchemaRegistry;
import dev.reflex.schemas.serde.ReflexSerdes;
import dev.reflex.topology.timeline.TimelineEntry.Kind;

/** The timeline over a TopologyTestDriver: attribution up the systems tree, masks, stories, waiting, and unreadable input. */
class TimelineTopologyTest {
    static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

    @TempDir
    Path stateDir;

    TopologyTestDriver driver;
    private TestInputTopic<String, SystemDef> systems;
    Topics topics;
    final List<DeadLetter> deadLetters = new ArrayList<>();
    final List<TimelineEntry> recorded = new ArrayList<>();
    final String applicationId = "ttd-" + UUID.randomUUID();
    /** How far the timeline's input is known to be read (the engine's barriers tell it): nothing known at first. */
    long readUpTo = Long.MIN_VALUE;

    @BeforeEach
    void start() {
        topics = new Topics(
                new TopicNames(TopicNames.DEFAULT_PREFIX), new ReflexSerdes(new InMemorySchemaRegistry(), true));
        Properties props = new Properties();
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(
                TimelineTopology.build(
                        topics,
                        new TimelineTopology.Options(
                                Duration.ofDays(30), Duration.ofMinutes(10), partition -> readUpTo, "test"),
                        new SystemBook(),
                        deadLetters::add,
                        recorded::add),
                props,
                NOW);
        systems = driver.createInputTopic(
                topics.systems().name(),
                topics.systems().keySerde().serializer(),
                topics.systems().valueSerde().serializer());
        systems.pipeInput("shop", system("shop", List.of("checkout", "storefront"), List.of(), List.of()));
        systems.pipeInput(
                "checkout",
                system(
                        "checkout",
                        List.of("postgres"),
                        List.of(match("webhook", "checkout.*", null)),
                        List.of("token")));
        systems.pipeInput(
                "storefront",
                system("storefront", List.of(), List.of(match("webhook", "storefront.*", null)), List.of()));
        systems.pipeInput("storage", system("storage", List.of("postgres"), List.of(), List.of()));
        systems.pipeInput(
                "postgres", system("postgres", List.of(), List.of(match("pg", null, "db-*")), List.of("password")));
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    @Test
    void anEventIsOnItsSystemsAndTheirAggregatesMasked() {
        event(
                "e1",
                "webhook",
                "checkout.failed",
                "order-1",
                "{\"order\":1,\"token\":\"s3cret\",\"note\":\"password=hunter2\"}");

        assertEquals(List.of("e1"), ids("checkout"));
        assertEquals(List.of("e1"), ids("shop"));
        assertEquals(List.of("e1"), ids("*"));
        assertEquals(List.of(), ids("storefront"));
        assertEquals(List.of(), ids("storage"));
        TimelineEntry listed = page("checkout").entries().get(0);
        assertEquals(List.of("checkout", "shop", "*"), listed.systems());
        assertFalse(listed.summary().contains("s3cret"), listed.summary());
        EventStory story = TimelineReader.story(partitions(), "e1").orElseThrow();
        assertFalse(story.event().data().contains("s3cret"), story.event().data());
        assertTrue(
                story.event().data().contains("\"token\":\"" + Masks.HIDDEN + "\""),
                story.event().data());
        // a subsystem's mask applies, and its aggregate's do: checkout masks token only
        assertTrue(
                story.event().data().contains("password=hunter2"), story.event().data());

        events().pipeInput(
                        "db-main",
                        Event.newBuilder()
                                .setId("e2")
                                .setSource("pg")
                                .setType("db.slow")
                                .setSubject("db-main")
                                .setTime(NOW.plusSeconds(1))
                                .setData("{\"password\":\"pw\",\"token\":\"t\"}")
                                .build(),
                        NOW.plusSeconds(1));
        assertEquals(List.of("e2", "e1"), ids("shop"));
        assertEquals(List.of("e2"), ids("storage"));
        String data =
                TimelineReader.story(partitions(), "e2").orElseThrow().event().data();
        assertFalse(data.contains("\"pw\""), data);
        assertFalse(data.contains("\"t\""), data);
    }

    @Test
    void aDecisionBeforeItsEventIsOnItsSystemsAtOnceAndInTheStoryOnceTheEventComes() {
        decision("e1", "webhook", "checkout.failed", "order-1", 5, Outcome.MATCHED, "restart-it");
        assertEquals(List.of("decision/e1/" + NOW.plusSeconds(5).toEpochMilli() + "/FULL"), ids("checkout"));
        assertTrue(TimelineReader.story(partitions(), "e1").isEmpty(), "no story before its event");

        event("e1", "webhook", "checkout.failed", "order-1", "{}");
        // the same event and decision again (a producer's retry): each is on the timeline once
        event("e1", "webhook", "checkout.failed", "order-1", "{}");
        decision("e1", "webhook", "checkout.failed", "order-1", 5, Outcome.MATCHED, "restart-it");
        assertEquals(2, page("checkout").entries().size());
        TimelineEntry decision = page("checkout").entries().stream()
                .filter(e -> e.kind() == Kind.DECISION)
                .findFirst()
                .orElseThrow();
        assertEquals("fired", decision.status());
        assertEquals(List.of("restart-it"), decision.rules());
        EventStory story = TimelineReader.story(partitions(), "e1").orElseThrow();
        assertEquals(1, story.entries().size());
        assertEquals(List.of("checkout", "shop", "*"), story.entries().get(0).systems());
        assertEquals(
                "MATCHED",
                ((List<Map<String, Object>>) story.entries().get(0).detail().get("rules"))
                        .get(0)
                        .get("outcome"));
    }

    @Test
    void aDecisionWaitsForItsEventWhenLabelsDecideItsSystems() {
        paymentsByTeamLabel();
        decision("e1", "webhook", "checkout.failed", "order-1", 5, Outcome.MATCHED, "restart-it");
        assertEquals(List.of(), ids("checkout"), "a decision does not carry its event's labels");

        events().pipeInput(
                        "order-1",
                        Event.newBuilder()
                                .setId("e1")
                                .setSource("webhook")
                                .setType("checkout.failed")
                                .setSubject("order-1")
                                .setTime(NOW)
                                .setLabels(Map.of("team", "pay"))
                                .build(),
                        NOW);
        String decided = "decision/e1/" + NOW.plusSeconds(5).toEpochMilli() + "/FULL";
        assertEquals(List.of(decided, "e1"), ids("payments"));
        assertEquals(List.of(decided, "e1"), ids("checkout"));
        assertEquals(
                List.of("checkout", "payments", "shop", "*"),
                TimelineReader.story(partitions(), "e1")
                        .orElseThrow()
                        .entries()
                        .get(0)
                        .systems());
    }

    @Test
    void whatCameOfAnEventIsOnItsSystemsEvenWhenItMatchesNoneItself() {
        event("e1", "webhook", "storefront.down", "web-1", "{}");
        decision("e1", "webhook", "storefront.down", "web-1", 10, Outcome.MATCHED, "restart-web");
        Event result = Event.newBuilder()
                .setId("result-a1")
                .setSource("reflex")
                .setType("action.failed")
                .setSubject("web-1")
                .setTime(NOW.plusSeconds(20))
                .setData("{\"system\":\"service-manager\",\"action\":\"restart\",\"eventId\":\"e1\","
                        + "\"ruleId\":\"restart-web\",\"attempts\":3,\"error\":\"HTTP 500\"}")
                .build();
        events().pipeInput("web-1", result, NOW.plusSeconds(20));
        flows().pipeInput(
                        "restart-and-verify/web-1",
                        FlowTransition.newBuilder()
                                .setFlowId("restart-and-verify")
                                .setVersion("v1")
                                .setKey("web-1")
                                .setRun(1)
                                .setKind(TransitionKind.STEP_STARTED)
                                .setStep("restart")
                                .setAttempt(1)
                                .setEventId("timer-1")
                                .setStartedBy("e1")
                                .setAt(NOW.plusSeconds(30))
                                .build(),
                        NOW.plusSeconds(30));

        List<TimelineEntry> storefront = page("storefront").entries();
        assertEquals(
                List.of(Kind.FLOW, Kind.RESULT, Kind.DECISION, Kind.EVENT),
                storefront.stream().map(TimelineEntry::kind).toList());
        TimelineEntry failed = storefront.get(1);
        assertEquals("failed", failed.status());
        assertEquals("e1", failed.eventId());
        assertTrue(
                failed.summary().contains("service-manager restart on web-1 after 3 attempts (HTTP 500)"),
                failed.summary());
        assertEquals(
                1,
                SystemState.of(storefront, NOW.plusSeconds(60).toEpochMilli())
                        .failed()
                        .size());
        // what makes the state is all a state query reads: no event without an alert status, no decision
        List<TimelineEntry> stateOnly = TimelineReader.entries(
                        partitions(), "storefront", 0, Long.MAX_VALUE, null, 100, TimelineReader.Only.STATE)
                .entries();
        assertEquals(
                List.of(Kind.FLOW, Kind.RESULT),
                stateOnly.stream().map(TimelineEntry::kind).toList());
        assertEquals(
                List.of(Kind.DECISION),
                TimelineReader.entries(
                                partitions(), "storefront", 0, Long.MAX_VALUE, null, 100, TimelineReader.Only.FIRED)
                        .entries()
                        .stream()
                        .map(TimelineEntry::kind)
                        .toList());
        assertEquals(
                1,
                SystemState.of(storefront, NOW.plusSeconds(60).toEpochMilli())
                        .running()
                        .size());
        assertEquals(
                3,
                TimelineReader.story(partitions(), "e1").orElseThrow().entries().size());
    }

    @Test
    void whatAHeldActionWaitsForIsInTheStoryOfTheEventThatAskedForIt() {
        event("e1", "webhook", "storefront.down", "web-1", "{}");
        decision("e1", "webhook", "storefront.down", "web-1", 10, Outcome.MATCHED, "restart-web");
        events().pipeInput(
                        "db-1",
                        Event.newBuilder()
                                .setId("waiting-a1")
                                .setSource("actors")
                                .setType("action.waiting")
                                .setSubject("db-1")
                                .setTime(NOW.plusSeconds(12))
                                .setData("{\"actionId\":\"a1\",\"system\":\"db\",\"action\":\"vacuum\","
                                        + "\"eventId\":\"e1\",\"ruleId\":\"restart-web\","
                                        + "\"waiting\":\"rate 5/1m of target db-1\"}")
                                .build(),
                        NOW.plusSeconds(12));

        List<TimelineEntry> story =
                TimelineReader.story(partitions(), "e1").orElseThrow().entries();
        TimelineEntry waiting = story.stream()
                .filter(e -> e.kind() == Kind.RESULT)
                .findFirst()
                .orElseThrow(() -> new AssertionError("no waiting entry in " + story));
        assertEquals("waiting", waiting.status());
        assertEquals("e1", waiting.eventId());
        assertEquals("db vacuum on db-1 (waiting: rate 5/1m of target db-1)", waiting.summary());
        assertEquals(
                0,
                SystemState.of(page("storefront").entries(), NOW.plusSeconds(60).toEpochMilli())
                        .failed()
                        .size(),
                "waiting is no failure");
    }

    @Test
    void aDecisionWhoseEventIsNotComingIsPlacedByItsOwnAttributesOnceWhatCameBeforeItIsRead() {
        paymentsByTeamLabel();
        decision("timer-9", "webhook", "checkout.failed", "order-9", 0, Outcome.CONDITION_FALSE, "r");
        assertEquals(List.of(), ids("checkout"));
        // a minute on, the input is not known to be read up to when the decision came: its event may be on its way
        driver.advanceWallClockTime(Duration.ofMinutes(1));
        assertEquals(List.of(), ids("checkout"));
        readUpTo = NOW.toEpochMilli();
        driver.advanceWallClockTime(Duration.ofSeconds(1));
        assertEquals(1, ids("checkout").size());
        assertEquals("nothing", page("checkout").entries().get(0).status());
    }

    @Test
    void aDecisionWhoseEventDoesNotComeIsPlacedByItsOwnAttributesAfterTheWaitAndJoinsItsStoryWhenItComesLate() {
        paymentsByTeamLabel();
        decision("timer-9", "webhook", "checkout.failed", "order-9", 0, Outcome.CONDITION_FALSE, "r");
        assertEquals(List.of(), ids("checkout"));
        // the read position stays unknown (the group's offsets cannot be read): the wait is the limit
        driver.advanceWallClockTime(Duration.ofMinutes(10).plusSeconds(1));
        assertEquals(1, ids("checkout").size());
        assertEquals("nothing", page("checkout").entries().get(0).status());
        // the event comes after all (its partition was behind by more than the wait): the decision is in its story
        event("timer-9", "webhook", "checkout.failed", "order-9", "{}");
        EventStory story = TimelineReader.story(partitions(), "timer-9").orElseThrow();
        assertEquals("timer-9", story.event().id());
        assertEquals(
                List.of(Kind.DECISION),
                story.entries().stream().map(TimelineEntry::kind).toList());
    }

    @Test
    void firingAlertsAreThoseNotResolvedSince() {
        for (String id : List.of("a1", "a2")) {
            String subject = id.equals("a1") ? "db-1" : "db-2";
            events().pipeInput(
                            subject,
                            Event.newBuilder()
                                    .setId(id)
                                    .setSource("pg")
                                    .setType("alert.firing")
                                    .setSubject(subject)
                                    .setTime(NOW)
                                    .build(),
                            NOW);
        }
        driver.advanceWallClockTime(Duration.ofSeconds(1));
        events().pipeInput(
                        "db-1",
                        Event.newBuilder()
                                .setId("a3")
                                .setSource("pg")
                                .setType("alert.resolved")
                                .setSubject("db-1")
                                .setTime(NOW.plusSeconds(5))
                                .build(),
                        NOW.plusSeconds(5));
        SystemState state =
                SystemState.of(page("postgres").entries(), NOW.plusSeconds(10).toEpochMilli());
        assertEquals(
                List.of("a2"), state.firing().stream().map(TimelineEntry::id).toList());
        SystemState fromItsStore = SystemState.of(
                TimelineReader.entries(
                                partitions(), "postgres", 0, Long.MAX_VALUE, null, 100, TimelineReader.Only.STATE)
                        .entries(),
                NOW.plusSeconds(10).toEpochMilli());
        assertEquals(state, fromItsStore);
    }

    @Test
    void earlierOccurrencesOfTheSameTypeAndSubjectWithWhatWasDone() {
        for (int i = 0; i < 3; i++) {
            Instant at = NOW.minus(Duration.ofDays(i * 5L));
            events().pipeInput(
                            "order-1",
                            Event.newBuilder()
                                    .setId("x" + i)
                                    .setSource("webhook")
                                    .setType("checkout.failed")
                                    .setSubject("order-1")
                                    .setTime(at)
                                    .build(),
                            at);
            decisions()
                    .pipeInput(
                            "x" + i,
                            decision(
                                    "x" + i,
                                    "webhook",
                                    "checkout.failed",
                                    "order-1",
                                    at,
                                    Outcome.MATCHED,
                                    "restart-it"),
                            at);
        }
        // the same type and subject from a source no system matches: on * only
        events().pipeInput(
                        "order-1",
                        Event.newBuilder()
                                .setId("y")
                                .setSource("elsewhere")
                                .setType("checkout.failed")
                                .setSubject("order-1")
                                .setTime(NOW)
                                .build(),
                        NOW);
        long now = NOW.toEpochMilli();
        assertEquals(
                3,
                TimelineReader.count(
                        partitions(),
                        "*",
                        "checkout.failed",
                        "order-1",
                        now - Duration.ofDays(7).toMillis(),
                        now));
        assertEquals(
                2,
                TimelineReader.count(
                        partitions(),
                        "checkout",
                        "checkout.failed",
                        "order-1",
                        now - Duration.ofDays(7).toMillis(),
                        now));
        List<TimelineReader.Occurrence> month = TimelineReader.occurrences(
                partitions(),
                "checkout",
                "checkout.failed",
                "order-1",
                now - Duration.ofDays(30).toMillis(),
                now,
                10);
        assertEquals(
                List.of("x0", "x1", "x2"),
                month.stream().map(o -> o.story().eventId()).toList());
        assertEquals(
                List.of("restart-it"), month.get(2).story().entries().get(0).rules());
    }

    @Test
    void ruleChangesAreOnTheSystemsTheirTriggerMaySee() {
        TestInputTopic<String, Rule> log = driver.createInputTopic(
                topics.rulesLog().name(),
                topics.rulesLog().keySerde().serializer(),
                topics.rulesLog().valueSerde().serializer());
        log.pipeInput(
                "restart-web",
                Rule.newBuilder()
                        .setId("restart-web")
                        .setVersion("v2")
                        .setEnabled(true)
                        .setWhen(RuleTrigger.newBuilder()
                                .setSource("webhook")
                                .setType("storefront.down")
                                .build())
                        .build(),
                NOW);
        log.pipeInput("restart-web", null, NOW.plusSeconds(1));
        assertEquals(List.of("rule/restart-web/v2/" + NOW.toEpochMilli()), ids("storefront"));
        assertEquals(1, ids("shop").size());
        assertEquals(List.of(), ids("checkout"));
        assertEquals("removed", page("*").entries().get(0).status());
        assertEquals(2, ids("*").size());
    }

    @Test
    void textSearchAndTimeRange() {
        event("e1", "webhook", "checkout.failed", "order-1", "{}");
        events().pipeInput(
                        "order-2",
                        Event.newBuilder()
                                .setId("e2")
                                .setSource("webhook")
                                .setType("checkout.paid")
                                .setSubject("order-2")
                                .setTime(NOW.plusSeconds(1))
                                .build(),
                        NOW.plusSeconds(1));
        assertEquals(
                List.of("e2"),
                TimelineReader.entries(partitions(), "checkout", 0, Long.MAX_VALUE, "PAID", 100).entries().stream()
                        .map(TimelineEntry::id)
                        .toList());
        assertEquals(
                List.of("e1"),
                TimelineReader.entries(partitions(), "checkout", 0, Long.MAX_VALUE, "order-1", 100).entries().stream()
                        .map(TimelineEntry::id)
                        .toList());
        TimelineReader.Page one = TimelineReader.entries(partitions(), "checkout", 0, Long.MAX_VALUE, null, 1);
        assertEquals(1, one.entries().size());
        assertTrue(one.more());
        assertEquals(
                List.of(),
                TimelineReader.entries(partitions(), "checkout", 0, NOW.toEpochMilli() - 1, null, 100)
                        .entries());
    }

    @Test
    void unreadableRecordsOnEveryTopicAreDeadLetteredAndTheNextEventGoesThrough() {
        byte[] garbage = "not avro at all".getBytes(StandardCharsets.UTF_8);
        for (String topic : List.of(
                topics.events().name(),
                topics.decisions().name(),
                topics.flows().name(),
                topics.rulesLog().name(),
                topics.systems().name())) {
            driver.createInputTopic(
                            topic,
                            Serdes.ByteArray().serializer(),
                            Serdes.ByteArray().serializer())
                    .pipeInput("k".getBytes(StandardCharsets.UTF_8), garbage, NOW);
        }
        String repartition = applicationId + "-" + TimelineTopology.REPARTITION + "-repartition";
        driver.createInputTopic(
                        repartition,
                        Serdes.String().serializer(),
                        Serdes.ByteArray().serializer())
                .pipeInput("k", garbage, NOW);
        driver.createInputTopic(
                        repartition,
                        Serdes.String().serializer(),
                        Serdes.ByteArray().serializer())
                .pipeInput("k", "{\"entry\":{\"kind\":\"EVENT\"}}".getBytes(StandardCharsets.UTF_8), NOW);
        assertEquals(7, deadLetters.size(), deadLetters.toString());
        assertTrue(deadLetters.stream()
                .allMatch(d -> d.getReason() != null && !d.getReason().isBlank()));

        event("e1", "webhook", "checkout.failed", "order-1", "{}");
        assertEquals(List.of("e1"), ids("checkout"));
    }

    // --- helpers

    private TimelineReader.Page page(String system) {
        return TimelineReader.entries(partitions(), system, 0, Long.MAX_VALUE, null, 1000);
    }

    private List<String> ids(String system) {
        return page(system).entries().stream()
                .filter(e -> e.kind() == Kind.EVENT || e.kind() == Kind.DECISION || e.kind() == Kind.RULE)
                .map(TimelineEntry::id)
                .toList();
    }

    private List<TimelineReader.Partition> partitions() {
        return List.of(new TimelineReader.Partition(
                driver.getWindowStore(TimelineTopology.TIMELINE_STORE),
                driver.getWindowStore(TimelineTopology.STATE_STORE),
                driver.getWindowStore(TimelineTopology.RECURRENCE_STORE),
                driver.getWindowStore(TimelineTopology.STORIES_STORE)));
    }

    private TestInputTopic<String, Event> events() {
        return driver.createInputTopic(
                topics.events().name(),
                topics.events().keySerde().serializer(),
                topics.events().valueSerde().serializer());
    }

    private TestInputTopic<String, Decision> decisions() {
        return driver.createInputTopic(
                topics.decisions().name(),
                topics.decisions().keySerde().serializer(),
                topics.decisions().valueSerde().serializer());
    }

    private TestInputTopic<String, FlowTransition> flows() {
        return driver.createInputTopic(
                topics.flows().name(),
                topics.flows().keySerde().serializer(),
                topics.flows().valueSerde().serializer());
    }

    private void event(String id, String source, String type, String subject, String data) {
        events().pipeInput(
                        subject,
                        Event.newBuilder()
                                .setId(id)
                                .setSource(source)
                                .setType(type)
                                .setSubject(subject)
                                .setTime(NOW)
                                .setData(data)
                                .build(),
                        NOW);
    }

    private void decision(
            String eventId,
            String source,
            String type,
            String subject,
            int afterSeconds,
            Outcome outcome,
            String rule) {
        Instant at = NOW.plusSeconds(afterSeconds);
        decisions().pipeInput(eventId, decision(eventId, source, type, subject, at, outcome, rule), at);
    }

    private static Decision decision(
            String eventId, String source, String type, String subject, Instant at, Outcome outcome, String rule) {
        return Decision.newBuilder()
                .setEventId(eventId)
                .setEventSource(source)
                .setEventType(type)
                .setSubject(subject)
                .setDecidedAt(at)
                .setEngineInstance("test")
                .setRules(List.of(RuleOutcome.newBuilder()
                        .setRuleId(rule)
                        .setRuleVersion("v1")
                        .setOutcome(outcome)
                        .build()))
                .setActionIds(List.of())
                .setRegisterOps(List.of())
                .setRegistersRead(Map.of())
                .setRulesConsidered(1)
                .setEvaluationMicros(5)
                .setDetail(DecisionDetail.FULL)
                .build();
    }

    /** A system whose match asks for a label: checkout's events with {@code team: pay} are payments' too. */
    private void paymentsByTeamLabel() {
        systems.pipeInput(
                "payments",
                system(
                        "payments",
                        List.of(),
                        List.of(SystemMatch.newBuilder()
                                .setSource("webhook")
                                .setType("checkout.*")
                                .setLabels(Map.of("team", "pay"))
                                .build()),
                        List.of()));
    }

    private static SystemDef system(String name, List<String> includes, List<SystemMatch> match, List<String> mask) {
        return SystemDef.newBuilder()
                .setName(name)
                .setVersion("v")
                .setIncludes(includes)
                .setMatch(match)
                .setMask(mask)
                .build();
    }

    private static SystemMatch match(String source, String type, String subject) {
        return SystemMatch.newBuilder()
                .setSource(source)
                .setType(type)
                .setSubject(subject)
                .build();
    }
}
