package dev.reflex.actors;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.reflex.schemas.Action;
import dev.reflex.schemas.ContentTypes;
import dev.reflex.schemas.Rate;

/**
 * Tells what an action waits for, once, when a limit or an open circuit has held it for {@link #AFTER_MS}: an event on
 * {@code ingest.actors} (type {@code action.waiting}, subject the target, id {@code waiting-<action id>} so a notice
 * written again after a restart is dropped as a duplicate), which the engine records like any event and the timeline
 * shows in the story of the event that asked for the action ("waiting: rate 5/1m of target db-1"). An action waiting
 * only for its target's previous action, or for a free place among the actor's own, gets none: that is the queue,
 * visible in the metrics. Not thread-safe: the actor's polling thread owns it.
 */
final class WaitNotices {
    /** How long an action is held before its notice is written. */
    static final long AFTER_MS = 1_000;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String topic;
    private final Set<Object> told = Collections.newSetFromMap(new IdentityHashMap<>());
    private final List<ProducerRecord<String, byte[]>> pending = new ArrayList<>();

    WaitNotices(String topic) {
        this.topic = topic;
    }

    /**
     * Looks at the actions of each waiting target: those held for {@link #AFTER_MS} by what {@code holds} names (null:
     * nothing but the queue) are told, each once.
     *
     * @param waiting each waiting target's actions with the slots they wait in
     * @param holds   what holds a target now, in words, or null
     * @param live    the slots still held (the others are forgotten)
     */
    <S> void look(
            long now,
            Iterable<String> targets,
            Function<String, List<Waiting<S>>> waiting,
            Function<String, String> holds,
            Set<?> live) {
        told.removeIf(slot -> !live.contains(slot));
        for (String target : targets) {
            List<Waiting<S>> actions = waiting.apply(target);
            if (actions.isEmpty()
                    || now - actions.get(0).since() < AFTER_MS
                    || told.contains(actions.get(0).slot())) {
                continue;
            }
            String reason = holds.apply(target);
            if (reason == null) {
                continue;
            }
            for (Waiting<S> w : actions) {
                if (now - w.since() >= AFTER_MS && told.add(w.slot())) {
                    pending.add(record(w.action(), reason, now));
                }
            }
        }
    }

    /** One waiting action: its slot (told once), the action, and since when it waits (ms). */
    record Waiting<S>(S slot, Action action, long since) {}

    /** The notices to write now (taken). */
    List<ProducerRecord<String, byte[]>> take() {
        if (pending.isEmpty()) {
            return List.of();
        }
        List<ProducerRecord<String, byte[]>> taken = new ArrayList<>(pending);
        pending.clear();
        return taken;
    }

    private ProducerRecord<String, byte[]> record(Action action, String reason, long now) {
        ObjectNode event = JSON.createObjectNode()
                .put("id", "waiting-" + action.getId())
                .put("type", "action.waiting")
                .put("subject", action.getTarget())
                .put("time", Instant.ofEpochMilli(now).toString())
                .put("actionId", action.getId())
                .put("system", action.getSystem())
                .put("action", action.getAction())
                .put("eventId", action.getEventId())
                .put("ruleId", action.getRuleId())
                .put("waiting", reason);
        ProducerRecord<String, byte[]> record =
                new ProducerRecord<>(topic, action.getTarget(), event.toString().getBytes(StandardCharsets.UTF_8));
        record.headers().add(new RecordHeader(ContentTypes.HEADER, ContentTypes.JSON.getBytes(StandardCharsets.UTF_8)));
        return record;
    }

    /** A rate in the catalog's words: 5/1m, 100/10s, 1/2h, 3/1500ms. */
    static String words(Rate rate) {
        long ms = rate.getWindowMs();
        String window = ms % 3_600_000 == 0
                ? ms / 3_600_000 + "h"
                : ms % 60_000 == 0 ? ms / 60_000 + "m" : ms % 1_000 == 0 ? ms / 1_000 + "s" : ms + "ms";
        return rate.getCount() + "/" + window;
    }
}
