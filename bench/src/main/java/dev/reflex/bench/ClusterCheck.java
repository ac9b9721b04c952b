package dev.reflex.bench;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import dev.reflex.bench.ClusterFaultRun.Fault;
import dev.reflex.bench.ClusterFaultRun.Injected;
import dev.reflex.bench.ClusterLoad.Posted;
import dev.reflex.rules.flow.FlowRunner;
import dev.reflex.schemas.Action;
import dev.reflex.schemas.ActionResult;
import dev.reflex.schemas.CorrelationRole;
import dev.reflex.schemas.Decision;
import dev.reflex.schemas.DecisionDetail;
import dev.reflex.schemas.FlowTransition;
import dev.reflex.schemas.Outcome;
import dev.reflex.schemas.Register;
import dev.reflex.schemas.RuleOutcome;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.serde.ReflexSerdes;

/**
 * Reads what the cluster fault run left on the topics (read_committed) and holds it against what the load posted:
 * every event the connector acknowledged decided exactly once; every action written once, reported once and executed
 * at least once (the stand-in counts Idempotency-Keys); the registers equal a sequential replay; every armed deadline
 * fired exactly once unless its answer came, and never when the answer reached Kafka before the deadline was due; every
 * flow instance ended as it would without faults; the timeline holding each event and decision once.
 */
final class ClusterCheck {
    /**
     * A decision slower than this after its event was acknowledged counts as the fault still being felt. A fault's time to
     * recover runs from its injection to the last moment before the next fault when it was felt: an event refused or
     * left unanswered by the connector, or a decision that slow.
     */
    static final long RECOVERED_WITHIN_MS = 5_000;

    private final ContainerCluster cluster;
    private final TopicNames names;
    private final StubService service;
    private final Map<String, Posted> posted;
    private final ReflexSerdes serdes;

    ClusterCheck(ContainerCluster cluster, TopicNames names, StubService service, Collection<Posted> posted) {
        this.cluster = cluster;
        this.names = names;
        this.service = service;
        this.posted = posted.stream().collect(Collectors.toMap(Posted::id, Function.identity()));
        this.serdes = cluster.serdes();
    }

    /**
     * Waits until every acknowledged event is decided and every action reported, for as long as that makes progress: the
     * actor does one action per transaction, so after a long fault its backlog takes minutes. Gives up after
     * {@code stalled} without progress.
     */
    void awaitSettled(Duration stalled) throws InterruptedException {
        Set<String> acked =
                posted.values().stream().filter(Posted::acked).map(Posted::id).collect(Collectors.toSet());
        long lastProgress = System.nanoTime();
        int done = -1;
        while (true) {
            Set<String> decided = decisions().keySet();
            Set<String> actions = new HashSet<>(read(names.actions("ops"), Action.class).stream()
                    .map(a -> a.getId().toString())
                    .toList());
            Set<String> reported = new HashSet<>(read(names.actionResults(), ActionResult.class).stream()
                    .map(r -> r.getActionId().toString())
                    .toList());
            List<String> undecided =
                    acked.stream().filter(id -> !decided.contains(id)).sorted().toList();
            List<String> unreported = actions.stream()
                    .filter(id -> !reported.contains(id))
                    .sorted()
                    .toList();
            if (undecided.isEmpty() && unreported.isEmpty()) {
                return;
            }
            if (decided.size() + reported.size() > done) {
                done = decided.size() + reported.size();
                lastProgress = System.nanoTime();
                System.err.printf(
                        "  %,d acknowledged events to decide, %,d actions to report%n",
                        undecided.size(), unreported.size());
            } else if (System.nanoTime() - lastProgress > stalled.toNanos()) {
                System.err.printf(
                        "  no progress for %d s: %d acknowledged events undecided %s, %d actions unreported %s%n",
                        stalled.toSeconds(),
                        undecided.size(),
                        undecided.subList(0, Math.min(10, undecided.size())),
                        unreported.size(),
                        unreported.subList(0, Math.min(10, unreported.size())));
                return;
            }
            Thread.sleep(5_000);
        }
    }

    private <V extends SpecificRecord> List<V> read(String topic, Class<V> type) {
        return TopicReader.readCommitted(
                        cluster.bootstrap(), topic, serdes.value(type).deserializer())
                .stream()
                .map(ConsumerRecord::value)
                .toList();
    }

    /** The event's own decisions (not correlation's or a flow's steps), by event id. */
    private Map<String, List<Decision>> decisions() {
        return read(names.decisions(), Decision.class).stream()
                .filter(d -> d.getDetail() == DecisionDetail.FULL || d.getDetail() == DecisionDetail.SUMMARY)
                .collect(Collectors.groupingBy(d -> d.getEventId().toString()));
    }

    ClusterReport check(List<Injected> injected, List<String> problems) {
        Counts counts = new Counts();
        Map<String, List<Decision>> decisions = decisions();
        Set<String> onKafka = new HashSet<>(decisions.keySet());
        posted.values().stream().filter(Posted::acked).forEach(p -> onKafka.add(p.id()));
        for (Posted p : posted.values()) {
            int n = decisions.getOrDefault(p.id(), List.of()).size();
            if (p.acked() && n == 0) {
                counts.lost(p.id(), "acknowledged event " + p.id() + " was never decided", problems);
            } else if (n > 1) {
                counts.duplicated(p.id(), "event " + p.id() + " was decided " + n + " times", problems);
            }
        }
        problems.addAll(Quarantines.of(cluster.bootstrap(), serdes, names));
        checkActions(decisions, counts, problems);
        checkRegisters(decisions, problems);
        List<Long> late = new ArrayList<>();
        checkDeadlines(onKafka, counts, late, problems);
        List<String> ticks =
                decisions.keySet().stream().filter(id -> id.startsWith("t-")).toList();
        List<String> before = new ArrayList<>(problems);
        KillRun.checkTimeline(cluster.bootstrap(), names, ticks, problems);
        problems.subList(before.size(), problems.size()).forEach(p -> {
            if (p.contains(" has 0 ")) {
                counts.lostOther++;
            } else {
                counts.duplicatedOther++;
            }
        });
        List<ClusterReport.FaultLine> lines = faultLines(injected, decisions, counts);
        long[] sorted = late.stream().mapToLong(Long::longValue).sorted().toArray();
        int events = (int) posted.values().stream().filter(Posted::acked).count();
        return new ClusterReport(
                lines,
                injected.size(),
                events,
                counts.lost.size() + counts.lostOther,
                counts.duplicated.size() + counts.duplicatedOther,
                counts.early,
                sorted.length,
                sorted.length == 0 ? 0 : sorted[sorted.length / 2],
                sorted.length == 0 ? 0 : sorted[sorted.length - 1],
                problems);
    }

    /** Losses and duplicates, by the id of the event they belong to (so each can be put to the fault it happened in). */
    private static final class Counts {
        final Map<String, Integer> lost = new HashMap<>();
        final Map<String, Integer> duplicated = new HashMap<>();
        int lostOther;
        int duplicatedOther;
        int early;

        void lost(String eventId, String problem, List<String> problems) {
            lost.merge(eventId, 1, Integer::sum);
            problems.add(problem);
        }

        void duplicated(String eventId, String problem, List<String> problems) {
            duplicated.merge(eventId, 1, Integer::sum);
            problems.add(problem);
        }
    }

    private void checkActions(Map<String, List<Decision>> decisions, Counts counts, List<String> problems) {
        Map<String, List<Action>> byEvent = read(names.actions("ops"), Action.class).stream()
                .collect(Collectors.groupingBy(a -> a.getEventId().toString()));
        Map<String, Long> reported = read(names.actionResults(), ActionResult.class).stream()
                .collect(Collectors.groupingBy(r -> r.getActionId().toString(), Collectors.counting()));
        for (String id : decisions.keySet()) {
            Posted p = posted.get(id);
            boolean acts = p != null && p.type().equals("tick") && p.n() % 2 == 0;
            List<Action> actions = byEvent.getOrDefault(id, List.of()).stream()
                    .filter(a -> a.getRuleId().toString().equals("act-on-even"))
                    .toList();
            if (acts && actions.isEmpty()) {
                counts.lost(id, "tick " + id + " was decided but its action never written", problems);
            } else if (!acts && !actions.isEmpty() || actions.size() > 1) {
                counts.duplicated(id, "event " + id + " has " + actions.size() + " actions of act-on-even", problems);
            }
        }
        byEvent.forEach((eventId, actions) -> {
            Map<String, Long> ids = actions.stream()
                    .collect(Collectors.groupingBy(a -> a.getId().toString(), Collectors.counting()));
            ids.forEach((actionId, n) -> {
                long results = reported.getOrDefault(actionId, 0L);
                if (n > 1) {
                    counts.duplicated(eventId, "action " + actionId + " was written " + n + " times", problems);
                }
                if (results != 1) {
                    if (results == 0) {
                        counts.lost(eventId, "action " + actionId + " was never reported", problems);
                    } else {
                        counts.duplicated(
                                eventId, "action " + actionId + " was reported " + results + " times", problems);
                    }
                }
                if (!service.calls.containsKey(actionId)) {
                    counts.lost(eventId, "action " + actionId + " was never executed", problems);
                }
            });
        });
    }

    /** count.&lt;subject&gt; equals the number of that subject's ticks decided: what replaying them in order gives. */
    private void checkRegisters(Map<String, List<Decision>> decisions, List<String> problems) {
        Map<String, String> registers = new HashMap<>();
        TopicReader.readCommitted(
                        cluster.bootstrap(),
                        names.registers(),
                        serdes.value(Register.class).deserializer())
                .forEach(r -> {
                    String key = new String(r.key(), StandardCharsets.UTF_8);
                    if (r.value() == null) {
                        registers.remove(key);
                    } else {
                        registers.put(key, r.value().getValue().toString());
                    }
                });
        Map<String, Long> expected = decisions.keySet().stream()
                .filter(id -> id.startsWith("t-"))
                .map(posted::get)
                .filter(p -> p != null)
                .collect(Collectors.groupingBy(p -> "count." + p.subject(), Collectors.counting()));
        expected.forEach((name, value) -> {
            if (!String.valueOf(value).equals(registers.get(name))) {
                problems.add("register " + name + " is " + registers.get(name)
                        + ", a sequential replay of the decided ticks gives " + value);
            }
        });
    }

    private void checkDeadlines(Set<String> onKafka, Counts counts, List<Long> late, List<String> problems) {
        Map<String, Long> dueAt = new HashMap<>();
        Map<String, Integer> fired = new HashMap<>();
        Map<String, Integer> cancelled = new HashMap<>();
        for (Decision d : read(names.decisions(), Decision.class)) {
            if (d.getDetail() != DecisionDetail.CORRELATION) {
                continue;
            }
            for (RuleOutcome o : d.getRules()) {
                if (o.getCorrelation() == null) {
                    continue;
                }
                String key = o.getCorrelation().getKey().toString();
                if (o.getOutcome() == Outcome.ARMED && o.getCorrelation().getRole() == CorrelationRole.TRIGGER) {
                    dueAt.putIfAbsent(key, o.getCorrelation().getDueAt());
                } else if (o.getOutcome() == Outcome.FIRED) {
                    fired.merge(key, 1, Integer::sum);
                    late.add(
                            o.getCorrelation().getLateMs() == null
                                    ? 0
                                    : o.getCorrelation().getLateMs());
                } else if (o.getOutcome() == Outcome.CANCELLED) {
                    cancelled.merge(key, 1, Integer::sum);
                }
            }
        }
        Map<String, List<String>> flows = new HashMap<>();
        for (FlowTransition t : read(names.flows(), FlowTransition.class)) {
            flows.computeIfAbsent(t.getKey().toString(), k -> new ArrayList<>()).add(FlowRunner.words(t));
        }
        for (String id : onKafka) {
            if (id.startsWith("u-")) {
                Answer answer = answer("resolved-" + id, dueAt.get(id));
                int f = fired.getOrDefault(id, 0);
                int c = cancelled.getOrDefault(id, 0);
                if (answer == Answer.IN_TIME && f > 0) {
                    counts.early++;
                    problems.add(id + ": resolved before its deadline was due, yet fired");
                } else if (f + c > 1) {
                    counts.duplicated(id, id + ": fired " + f + " and cancelled " + c + " times", problems);
                } else if (f + c == 0 || answer == Answer.NONE && f == 0) {
                    counts.lost(id, id + ": armed but neither fired nor cancelled (answer " + answer + ")", problems);
                }
            } else if (id.startsWith("f-")) {
                List<String> history = flows.getOrDefault(id, List.of());
                Long due = history.stream()
                        .filter(w -> w.startsWith("waiting healthy"))
                        .findFirst()
                        .map(w -> Instant.parse(w.replaceAll(".* until ", "")).toEpochMilli())
                        .orElse(null);
                Answer answer = answer("healthy-" + id, due);
                long timedOut = history.stream()
                        .filter(w -> w.startsWith("timed out healthy"))
                        .count();
                long ended = history.stream().filter(w -> w.startsWith("ended")).count();
                history.stream().filter(w -> w.startsWith("timed out healthy")).forEach(w -> late.add(lateness(w)));
                if (answer == Answer.IN_TIME && timedOut > 0) {
                    counts.early++;
                    problems.add(id + ": service.healthy reached Kafka before the wait was due, yet it timed out");
                } else if (timedOut > 1 || ended > 1) {
                    counts.duplicated(
                            id, id + ": timed out " + timedOut + " times, ended " + ended + " times", problems);
                } else if (ended == 0 || answer == Answer.NONE && timedOut == 0) {
                    counts.lost(
                            id,
                            id + ": went "
                                    + history.stream()
                                            .map(w -> w.replaceAll(":.*", ""))
                                            .toList() + " (answer " + answer + ")",
                            problems);
                }
            }
        }
    }

    private static long lateness(String words) {
        Matcher m = Pattern.compile("\\((\\d+) ms late\\)").matcher(words);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    /** Whether the answer to a deadline reached Kafka before it was due, after, never, or cannot be known. */
    private enum Answer {
        IN_TIME,
        LATE,
        NONE,
        UNKNOWN
    }

    private Answer answer(String id, Long dueAt) {
        Posted p = posted.get(id);
        if (p == null || p.status() != 202 && p.status() != 0) {
            return Answer.NONE;
        }
        if (p.status() == 0 || dueAt == null) {
            return Answer.UNKNOWN;
        }
        return p.answeredAt() < dueAt ? Answer.IN_TIME : Answer.LATE;
    }

    private List<ClusterReport.FaultLine> faultLines(
            List<Injected> injected, Map<String, List<Decision>> decisions, Counts counts) {
        List<ClusterReport.FaultLine> lines = new ArrayList<>();
        Map<Fault, List<Long>> recoveries = new HashMap<>();
        Map<Fault, int[]> totals = new HashMap<>();
        for (int i = 0; i < injected.size(); i++) {
            Injected fault = injected.get(i);
            long end = i + 1 < injected.size() ? injected.get(i + 1).at() : Long.MAX_VALUE;
            long lastFelt = fault.at();
            String feltBy = "nothing";
            int[] t = totals.computeIfAbsent(fault.fault(), k -> new int[4]);
            for (Posted p : posted.values()) {
                if (p.answeredAt() < fault.at() || p.answeredAt() >= end) {
                    continue;
                }
                List<Decision> decided = decisions.getOrDefault(p.id(), List.of());
                if (p.acked()) {
                    t[0]++;
                    t[1] += decided.isEmpty() ? 0 : 1;
                }
                t[2] += counts.lost.getOrDefault(p.id(), 0);
                t[3] += counts.duplicated.getOrDefault(p.id(), 0);
                if (!p.acked() && p.answeredAt() > lastFelt) {
                    lastFelt = p.answeredAt();
                    feltBy = p.id() + " answered " + p.status();
                } else if (p.acked()
                        && !decided.isEmpty()
                        && decided.get(0).getDecidedAt().toEpochMilli() - p.answeredAt() > RECOVERED_WITHIN_MS
                        && decided.get(0).getDecidedAt().toEpochMilli() > lastFelt
                        && decided.get(0).getDecidedAt().toEpochMilli() < end) {
                    lastFelt = decided.get(0).getDecidedAt().toEpochMilli();
                    feltBy = p.id() + " decided " + (lastFelt - p.answeredAt()) + " ms after its acknowledgement by "
                            + decided.get(0).getEngineInstance();
                }
            }
            System.err.printf(
                    "  %s at +%d s: felt until +%d s (%s)%n",
                    fault.fault().id(),
                    (fault.at() - injected.get(0).at()) / 1000,
                    (lastFelt - injected.get(0).at()) / 1000,
                    feltBy);
            recoveries.computeIfAbsent(fault.fault(), k -> new ArrayList<>()).add(lastFelt - fault.at());
        }
        for (Fault fault : Fault.values()) {
            List<Long> r =
                    recoveries.getOrDefault(fault, List.of()).stream().sorted().toList();
            if (r.isEmpty()) {
                continue;
            }
            int[] t = totals.get(fault);
            lines.add(new ClusterReport.FaultLine(
                    fault, r.size(), t[0], t[1], t[2], t[3], r.get(r.size() / 2), r.get(r.size() - 1)));
        }
        return lines;
    }
}
