package dev.reflex.schemas;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/** Every topic name Reflex uses, derived from one configurable prefix (default {@code reflex.}). */
public final class TopicNames {
    public static final String DEFAULT_PREFIX = "reflex.";
    private static final Pattern NAME_PART = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,199}");

    /**
     * Rule history is kept forever by default: it is small (a few KB per applied change) and an audit may need any
     * version a kept decision refers to. Shorten it with the topic's retention.ms if decisions are kept shorter.
     */
    public static final long RULES_LOG_RETENTION_MS = -1;

    private final String prefix;

    public TopicNames(String prefix) {
        this.prefix = Objects.requireNonNull(prefix, "prefix");
    }

    public String prefix() {
        return prefix;
    }

    /** The start of every transactional id of system {@code system}'s actors (each adds a random suffix), for ACLs. */
    public String actorTransactionalIdPrefix(String system) {
        return prefix + "actor-" + system + "-";
    }

    /** The start of the transactional id of each {@code reflex rules apply} (a random suffix follows), for ACLs. */
    public String rulesApplyTransactionalIdPrefix() {
        return prefix + "rules-apply-";
    }

    public String events() {
        return prefix + "events";
    }

    public String rules() {
        return prefix + "rules";
    }

    /**
     * Every rule version ever applied, in order, never compacted: the history that lets an old decision be re-evaluated
     * with exactly the rules it used. A removal is a record with the rule id as key and no value.
     */
    /** The systems catalog, compacted, keyed by system name (applied with the rules). */
    public String systems() {
        return prefix + "systems";
    }

    public String rulesLog() {
        return prefix + "rules.log";
    }

    public String registers() {
        return prefix + "registers";
    }

    /**
     * Internal: events that matched a correlation rule, repartitioned by (rule id, correlation key) so one task owns
     * each key's correlation state. Written and read by the engine only.
     */
    public String correlate() {
        return prefix + "correlate";
    }

    /** Every transition of every flow instance, keyed by flow id/key: the flows' history. */
    public String flows() {
        return prefix + "flows";
    }

    public String registerOps() {
        return prefix + "register-ops";
    }

    public String decisions() {
        return prefix + "decisions";
    }

    public String dlq() {
        return prefix + "dlq";
    }

    public String actionResults() {
        return prefix + "action-results";
    }

    public String ingestPrefix() {
        return prefix + "ingest.";
    }

    public String ingest(String source) {
        return ingestPrefix() + requireValidPart(source, "source");
    }

    /**
     * Where actors report what an action waits for (a limit, an open circuit): an ingest topic like any other, so the
     * engine makes events of it (source {@code actors}, type {@code action.waiting}) and the timeline shows them in the
     * story of the event that asked for the action.
     */
    public String actorEvents() {
        return ingest("actors");
    }

    /** Matches every ingest topic, so a new source needs no restart. */
    public Pattern ingestPattern() {
        return Pattern.compile(Pattern.quote(ingestPrefix()) + NAME_PART.pattern());
    }

    /** The source name of an ingest topic. */
    public String sourceOf(String ingestTopic) {
        return ingestTopic.startsWith(ingestPrefix())
                ? ingestTopic.substring(ingestPrefix().length())
                : ingestTopic;
    }

    public String actionsPrefix() {
        return prefix + "actions.";
    }

    public String actions(String system) {
        return actionsPrefix() + requireValidPart(system, "system");
    }

    public Pattern actionsPattern() {
        return Pattern.compile(Pattern.quote(actionsPrefix()) + NAME_PART.pattern());
    }

    /** The topics that exist whatever the rules say; ingest and action topics come per source and system. */
    public List<TopicSpec> fixed() {
        return List.of(
                new TopicSpec(events(), false),
                new TopicSpec(rules(), true),
                new TopicSpec(rulesLog(), false, RULES_LOG_RETENTION_MS),
                new TopicSpec(systems(), true),
                new TopicSpec(registers(), true),
                new TopicSpec(registerOps(), false),
                new TopicSpec(decisions(), false),
                new TopicSpec(correlate(), false),
                new TopicSpec(flows(), false),
                new TopicSpec(dlq(), false),
                new TopicSpec(actionResults(), false),
                new TopicSpec(actorEvents(), false));
    }

    /** Whether {@code name} can be a source or system name, i.e. the last part of a topic name. */
    public static boolean isValidPart(String name) {
        return name != null && NAME_PART.matcher(name).matches();
    }

    private static String requireValidPart(String name, String what) {
        if (!isValidPart(name)) {
            throw new IllegalArgumentException("invalid " + what + " name '" + name
                    + "': use letters, digits, '.', '_' or '-' (at most 200), starting with a letter or digit");
        }
        return name;
    }
}
