package dev.reflex.topology.internals;

import java.util.Locale;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.reflex.schemas.ActionResult;
import dev.reflex.schemas.ActionStatus;
import dev.reflex.schemas.ContentTypes;
import dev.reflex.schemas.Event;
import dev.reflex.topology.Partitioning;
import dev.reflex.topology.ProcessingListener;

/**
 * Turns what actors report into events (source {@code reflex}, type {@code action.succeeded} or {@code action.failed},
 * subject the action's target, correlated to the triggering event), so rules can react to outcomes. A SKIPPED result
 * (an actor saw an action it had already completed) becomes no event: the outcome was reported the first time.
 */
public final class ResultProcessor implements Processor<String, ActionResult, String, SpecificRecord> {
    public static final String SOURCE = "reflex";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Output<Event> events;
    private final Output<Event> evaluate;
    private final Partitioning partitioning;
    private final ProcessingListener listener;
    private ProcessorContext<String, SpecificRecord> context;

    /**
     * The events made from results go to {@code events}, and those that {@code partitioning} evaluates here to
     * {@code evaluate} as well (null when nothing is evaluated here); {@code listener} is told of each.
     */
    public ResultProcessor(
            Output<Event> events, Output<Event> evaluate, Partitioning partitioning, ProcessingListener listener) {
        this.events = events;
        this.evaluate = evaluate;
        this.partitioning = partitioning;
        this.listener = listener;
    }

    @Override
    public void init(ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
    }

    @Override
    public void process(Record<String, ActionResult> record) {
        ActionResult result = record.value();
        if (result == null || result.getStatus() == ActionStatus.SKIPPED) {
            return;
        }
        ObjectNode data = JSON.createObjectNode()
                .put("actionId", result.getActionId())
                .put("system", result.getSystem())
                .put("action", result.getAction())
                .put("status", result.getStatus().name().toLowerCase(Locale.ROOT))
                .put("attempts", result.getAttempts())
                .put("durationMs", result.getDurationMs())
                .put("eventId", result.getEventId())
                .put("ruleId", result.getRuleId());
        if (result.getHttpStatus() != null) {
            data.put("httpStatus", result.getHttpStatus());
        }
        if (result.getExitCode() != null) {
            data.put("exitCode", result.getExitCode());
        }
        if (result.getOutput() != null) {
            data.put("output", result.getOutput());
        }
        if (result.getError() != null) {
            data.put("error", result.getError());
        }
        Event event = Event.newBuilder()
                .setId("result-" + result.getActionId())
                .setSource(SOURCE)
                .setType(result.getStatus() == ActionStatus.SUCCEEDED ? "action.succeeded" : "action.failed")
                .setSubject(result.getTarget())
                .setTime(result.getFinishedAt())
                .setDatacontenttype(ContentTypes.JSON)
                .setData(data.toString())
                .setCorrelationid(result.getCorrelationid() == null ? result.getEventId() : result.getCorrelationid())
                .build();
        String key = event.getSubject() != null ? event.getSubject() : event.getId();
        listener.normalized(event);
        Events.forward(
                context,
                events,
                evaluate,
                partitioning.evaluatesAtIngest(record.key(), key),
                new Record<>(key, event, record.timestamp()));
    }
}
