package dev.reflex.topology.internals;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.streams.processor.RecordContext;
import org.apache.kafka.streams.processor.TopicNameExtractor;

import dev.reflex.schemas.Action;
import dev.reflex.schemas.TopicNames;

/** Routes each action to the topic of its target system. */
public final class ActionTopicExtractor implements TopicNameExtractor<String, Object> {
    /** Systems come from rules, so there are few; past this many, names are checked each time rather than kept. */
    private static final int KEPT = 10_000;

    private final TopicNames names;
    /** Topic by system, each name checked once (the check is a regular expression, run per action otherwise). */
    private final Map<String, String> topics = new ConcurrentHashMap<>();

    public ActionTopicExtractor(TopicNames names) {
        this.names = names;
    }

    @Override
    public String extract(String key, Object action, RecordContext context) {
        String system = ((Action) action).getSystem();
        String topic = system == null ? null : topics.get(system);
        if (topic == null) {
            topic = names.actions(system);
            if (topics.size() < KEPT) {
                topics.put(system, topic);
            }
        }
        return topic;
    }

    @Override
    public String toString() {
        return names.actionsPrefix() + "<system>";
    }
}
