package dev.reflex.topology.internals;

import org.apache.kafka.streams.processor.RecordContext;
import org.apache.kafka.streams.processor.TopicNameExtractor;

import dev.reflex.schemas.Action;
import dev.reflex.schemas.TopicNames;

/** Routes each action to the topic of its target system. */
public final class ActionTopicExtractor implements TopicNameExtractor<String, Object> {
    private final TopicNames names;

    public ActionTopicExtractor(TopicNames names) {
        this.names = names;
    }

    @Override
    public String extract(String key, Object action, RecordContext context) {
        return names.actions(((Action) action).getSystem());
    }

    @Override
    public String toString() {
        return names.actionsPrefix() + "<system>";
    }
}
