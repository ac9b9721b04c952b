package dev.reflex.topology.internals;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.reflex.rules.IndexedRule;
import dev.reflex.rules.QuarantinedRule;
import dev.reflex.rules.RuleBook;
import dev.reflex.schemas.Rule;
import dev.reflex.topology.GlobalDeadLetters;

/**
 * Feeds the rules topic into the global rules store and the {@link RuleBook}; also runs during restore, so the
 * book is complete before any event is evaluated. A rule that fails validation is quarantined, never fatal; a record
 * that is no rule at all is dead-lettered.
 */
public final class RuleLoader extends GlobalLoader<Rule> {
    private static final Logger LOG = LoggerFactory.getLogger(RuleLoader.class);

    private final RuleBook book;
    private final String storeName;
    private KeyValueStore<String, Rule> store;

    public RuleLoader(
            RuleBook book, String storeName, Deserializer<Rule> values, String reader, GlobalDeadLetters deadLetters) {
        super(values, "load-rules", reader, deadLetters);
        this.book = book;
        this.storeName = storeName;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        super.init(context);
        store = context.getStateStore(storeName);
    }

    @Override
    protected void apply(String id, Rule rule) {
        if (id == null) {
            throw new IllegalArgumentException("a record without key on the rules topic: a rule's key must be its id");
        }
        if (rule == null) {
            store.delete(id);
            book.remove(id);
            LOG.info("rule {} deleted", id);
            return;
        }
        store.put(id, rule);
        IndexedRule indexed = id.equals(rule.getId())
                ? book.put(rule)
                : book.quarantine(
                        Rule.newBuilder(rule).setId(id).build(),
                        "the record key '" + id + "' differs from the rule id '" + rule.getId() + "'");
        if (indexed instanceof QuarantinedRule quarantined) {
            LOG.warn("rule {} version {} quarantined: {}", id, rule.getVersion(), quarantined.reason());
        } else {
            LOG.info("rule {} version {} loaded", id, rule.getVersion());
        }
    }
}
