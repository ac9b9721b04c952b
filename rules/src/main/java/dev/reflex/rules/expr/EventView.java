package dev.reflex.rules.expr;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.reflex.schemas.Event;

/** The {@code event} that expressions read: the event's attributes, with {@code data} parsed from JSON once. */
public final class EventView {
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * The data text the normalizer last parsed on this thread and its tree: an event evaluated where it is normalized
     * is not parsed twice. Matched by identity, so only that very text gets that tree.
     */
    private static final ThreadLocal<Object[]> JUST_PARSED = ThreadLocal.withInitial(() -> new Object[2]);

    private EventView() {}

    public static Map<String, Object> of(Event event) {
        Map<String, Object> fields = new HashMap<>();
        fields.put("specversion", event.getSpecversion());
        fields.put("id", event.getId());
        fields.put("source", event.getSource());
        fields.put("type", event.getType());
        fields.put("subject", event.getSubject());
        fields.put("time", event.getTime() == null ? null : event.getTime().toEpochMilli());
        fields.put("datacontenttype", event.getDatacontenttype());
        fields.put("data", data(event));
        fields.put("labels", ReadOnlyViews.map(new HashMap<>(event.getLabels())));
        fields.put("severity", event.getSeverity());
        fields.put("correlationid", event.getCorrelationid());
        fields.put("traceparent", event.getTraceparent());
        return ReadOnlyViews.map(fields);
    }

    /** Tells the view that {@code data}, about to be an event's data, is the text of {@code tree}. */
    public static void parsed(String data, JsonNode tree) {
        Object[] slot = JUST_PARSED.get();
        slot[0] = data;
        slot[1] = tree;
    }

    private static Object data(Event event) {
        String data = event.getData();
        if (data == null) {
            return null;
        }
        String type = event.getDatacontenttype();
        if (type == null || type.contains("json")) {
            Object[] slot = JUST_PARSED.get();
            if (slot[0] == data) {
                return ReadOnlyViews.json((JsonNode) slot[1]);
            }
            try {
                return ReadOnlyViews.json(JSON.readTree(data));
            } catch (IOException e) {
                return data;
            }
        }
        return data;
    }
}
