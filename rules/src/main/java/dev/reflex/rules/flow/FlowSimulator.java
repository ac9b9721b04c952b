package dev.reflex.rules.flow;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.reflex.rules.CompiledRule;
import dev.reflex.rules.Evaluation;
import dev.reflex.rules.Evaluator;
import dev.reflex.rules.RuleBook;
import dev.reflex.schemas.Action;
import dev.reflex.schemas.CorrelationInput;
import dev.reflex.schemas.CorrelationRole;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.FlowInstance;
import dev.reflex.schemas.FlowStatus;
import dev.reflex.schemas.FlowThread;

/**
 * Flows in memory, for {@code reflex flows test}: rules and flows evaluated against timed events, each flow input applied
 * as the engine would, timers fired at their due time before the first event after it, and actions answered from
 * canned results (a result event arriving a set time after its action; no canned result: no result, so the step times
 * out). One clock: the events' times.
 */
public final class FlowSimulator {
    /** A canned result: the action's status ({@code succeeded} or {@code failed}) after a delay. */
    public record Canned(String status, long afterMs) {}

    /** What happened at one moment: the event handled (null for timers), each instance's transitions, and the actions. */
    public record Step(
            Instant at, Event event, String flowId, String key, List<String> transitions, List<Action> actions) {}

    private final RuleBook book;
    private final Function<String, String> registers;
    private final Map<String, List<Canned>> canned;
    private final Map<String, Integer> answered = new HashMap<>();
    private final Map<String, FlowInstance> instances = new HashMap<>();
    private final Map<String, CompiledFlow> versions = new HashMap<>();
    /** Timers and result events by due time. */
    private final TreeMap<String, Object> agenda = new TreeMap<>();

    private final List<Step> steps = new ArrayList<>();
    private int sequence;

    /** @param canned by "system/action", the results its actions get, in order (the last one repeats) */
    public FlowSimulator(RuleBook book, Function<String, String> registers, Map<String, List<Canned>> canned) {
        this.book = book;
        this.registers = registers;
        this.canned = canned;
    }

    /** Runs what is due before {@code time}, then the event. Returns what happened. */
    public List<Step> accept(Event event, long time) {
        int from = steps.size();
        advanceTo(time);
        handle(event, time);
        return List.copyOf(steps.subList(from, steps.size()));
    }

    /** Runs everything due by {@code time}: timers and canned results, in time order. */
    public List<Step> advanceTo(long time) {
        int from = steps.size();
        while (!agenda.isEmpty() && Long.parseLong(agenda.firstKey().substring(0, 19)) <= time) {
            Map.Entry<String, Object> next = agenda.pollFirstEntry();
            long at = Long.parseLong(next.getKey().substring(0, 19));
            if (next.getValue() instanceof Event result) {
                handle(result, at);
            } else {
                String stateKey = (String) next.getValue();
                FlowInstance instance = instances.get(stateKey);
                if (instance != null
                        && instance.getThreads().stream().anyMatch(t -> t.getDueAt() != null && t.getDueAt() <= at)) {
                    apply(stateKey, new FlowRunner.Input(CorrelationRole.TIMER, null, null), at, "timer-" + at, null);
                }
            }
        }
        return List.copyOf(steps.subList(from, steps.size()));
    }

    /** When the last timer or canned result is due, or null when nothing is. */
    public Long lastDue() {
        return agenda.isEmpty() ? null : Long.parseLong(agenda.lastKey().substring(0, 19));
    }

    public Map<String, FlowInstance> instances() {
        return instances;
    }

    private void handle(Event event, long time) {
        Evaluation evaluation = Evaluator.evaluate(event, book.index(), registers, Instant.ofEpochMilli(time));
        boolean any = false;
        for (CorrelationInput input : evaluation.correlations()) {
            if (book.get(input.getRuleId()).orElse(null) instanceof CompiledRule rule && rule.flow() != null) {
                any = true;
                apply(
                        input.getRuleId() + "/" + input.getKey(),
                        new FlowRunner.Input(input.getRole(), event, null),
                        time,
                        event.getId(),
                        event);
            }
        }
        if (!any && !evaluation.actions().isEmpty()) {
            steps.add(new Step(Instant.ofEpochMilli(time), event, null, null, List.of(), evaluation.actions()));
        }
        answer(evaluation.actions(), time);
    }

    private void apply(String stateKey, FlowRunner.Input input, long time, String cause, Event event) {
        String flowId = stateKey.substring(0, stateKey.indexOf('/'));
        String key = stateKey.substring(flowId.length() + 1);
        CompiledFlow current = book.get(flowId)
                .map(r -> r instanceof CompiledRule c ? c.flow() : null)
                .orElse(null);
        if (current == null) {
            return;
        }
        versions.putIfAbsent(current.version, current);
        int running = (int) instances.values().stream()
                .filter(i -> i.getFlowId().equals(flowId) && i.getStatus() == FlowStatus.RUNNING)
                .count();
        FlowRunner.Result result = FlowRunner.apply(
                current, versions::get, instances.get(stateKey), key, input, registers, time, running, cause);
        if (result.instance() != null) {
            instances.put(stateKey, result.instance());
            for (FlowThread t : result.instance().getThreads()) {
                if (t.getDueAt() != null) {
                    agenda.put(String.format("%019d", t.getDueAt()) + "|t|" + stateKey, stateKey);
                }
            }
        }
        steps.add(new Step(Instant.ofEpochMilli(time), event, flowId, key, result.words(), result.actions()));
        answer(result.actions(), time);
    }

    /** Schedules the canned result of each action, as an actor's result event would come back. */
    private void answer(List<Action> actions, long time) {
        for (Action action : actions) {
            List<Canned> results = canned.get(action.getSystem() + "/" + action.getAction());
            if (results == null || results.isEmpty()) {
                continue;
            }
            int n = answered.merge(action.getSystem() + "/" + action.getAction(), 1, Integer::sum) - 1;
            Canned c = results.get(Math.min(n, results.size() - 1));
            ObjectNode data = JsonNodeFactory.instance
                    .objectNode()
                    .put("actionId", action.getId())
                    .put("system", action.getSystem())
                    .put("action", action.getAction())
                    .put("status", c.status())
                    .put("attempts", 1)
                    .put("eventId", action.getEventId())
                    .put("ruleId", action.getRuleId());
            Event result = Event.newBuilder()
                    .setId("result-" + action.getId())
                    .setSource("reflex")
                    .setType("succeeded".equals(c.status()) ? "action.succeeded" : "action.failed")
                    .setSubject(action.getTarget())
                    .setTime(Instant.ofEpochMilli(time + c.afterMs()))
                    .setData(data.toString())
                    .setCorrelationid(action.getCorrelationid())
                    .build();
            agenda.put(String.format("%019d", time + c.afterMs()) + "|r|" + (sequence++), result);
        }
    }
}
