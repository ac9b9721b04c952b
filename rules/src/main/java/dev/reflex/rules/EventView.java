package dev.reflex.rules;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.reflex.schemas.Event;

/** The {@code event} that expressions read: the event's attributes, with {@code data} parsed from JSON once. */
public final class EventView {
    private static final ObjectMapper JSON = new ObjectMapper();

    private EventView() {
    }

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

    private static Object data(Event event) {
        String data = event.getData();
        if (data == null) {
            return null;
        }
        String type = event.getDatacontenttype();
        if (type == null || type.contains("json")) {
            try {
                return ReadOnlyViews.json(JSON.readTree(data));
            } catch (IOException e) {
                return data;
            }
        }
        return data;
    }
}
