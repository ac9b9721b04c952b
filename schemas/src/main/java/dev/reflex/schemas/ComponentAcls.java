package dev.reflex.schemas;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * The least-privilege ACLs of each Reflex component, for a principal, from the topic names it uses: what
 * {@code reflex acls} prints and applies. READ and WRITE imply DESCRIBE in Kafka, so DESCRIBE is not listed beside them.
 *
 * <ul>
 * <li>engine: reads the ingest topics, events, rules, registers, register operations, action results and its internal
 * correlation topic, and for its timeline decisions, flow transitions, the rule log and the systems topic; writes
 * events, registers, register operations, decisions, dead letters, correlation input, flow transitions and the actions
 * topics; creates the fixed topics when missing; owns its internal topics, consumer groups (its own and its timeline's,
 * {@code <application id>-timeline}) and transactional ids, all named by its application id;</li>
 * <li>connector (webhook and timer): writes and creates the ingest topics, nothing else;</li>
 * <li>actor of one system: reads that system's actions topic only, reads and writes action results, reads the
 * systems catalog (for its limits), writes what actions wait for ({@code ingest.actors}), with its own consumer group
 * and transactional ids;</li>
 * <li>rules (the job that runs {@code reflex rules apply}): reads and writes the rules topic, its log and the systems
 * topic, creates the fixed topics and the actions and ingest topics the rules name, with its own transactional ids.</li>
 * </ul>
 */
public final class ComponentAcls {
    /** What a set of ACLs is for. */
    public enum Component {
        ENGINE,
        CONNECTOR,
        ACTOR,
        RULES;

        public static Component of(String name) {
            try {
                return valueOf(name.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "unknown component '" + name + "'; one of engine, connector, actor, rules");
            }
        }
    }

    private final String principal;
    private final List<AclBinding> bindings = new ArrayList<>();

    private ComponentAcls(String principal) {
        this.principal = principal;
    }

    /** The application id of the engine's timeline (its own Kafka Streams application in the engine's process). */
    public static String timelineApplicationId(String applicationId) {
        return applicationId + "-timeline";
    }

    /** The engine's ACLs; {@code applicationId} names its internal topics, group and transactional ids. */
    public static List<AclBinding> engine(TopicNames names, String applicationId, String principal) {
        ComponentAcls acls = new ComponentAcls(principal);
        acls.allow(ResourceType.TOPIC, names.ingestPrefix(), PatternType.PREFIXED, AclOperation.READ);
        for (String topic : List.of(names.events(), names.registers(), names.registerOps(), names.correlate())) {
            acls.allow(ResourceType.TOPIC, topic, PatternType.LITERAL, AclOperation.READ, AclOperation.WRITE);
        }
        for (String topic : List.of(names.rules(), names.actionResults(), names.rulesLog(), names.systems())) {
            acls.allow(ResourceType.TOPIC, topic, PatternType.LITERAL, AclOperation.READ);
        }
        for (String topic : List.of(names.decisions(), names.flows())) {
            acls.allow(ResourceType.TOPIC, topic, PatternType.LITERAL, AclOperation.READ, AclOperation.WRITE);
        }
        acls.allow(ResourceType.TOPIC, names.dlq(), PatternType.LITERAL, AclOperation.WRITE);
        acls.allow(ResourceType.TOPIC, names.actionsPrefix(), PatternType.PREFIXED, AclOperation.WRITE);
        acls.createFixedTopics(names);
        // Kafka Streams' internal topics (changelogs, repartition), consumer group and transactional ids
        acls.allow(
                ResourceType.TOPIC,
                applicationId,
                PatternType.PREFIXED,
                AclOperation.READ,
                AclOperation.WRITE,
                AclOperation.CREATE,
                AclOperation.DELETE,
                AclOperation.DESCRIBE_CONFIGS);
        acls.allow(ResourceType.GROUP, applicationId, PatternType.LITERAL, AclOperation.READ);
        acls.allow(ResourceType.GROUP, timelineApplicationId(applicationId), PatternType.LITERAL, AclOperation.READ);
        acls.allow(
                ResourceType.TRANSACTIONAL_ID,
                applicationId,
                PatternType.PREFIXED,
                AclOperation.WRITE,
                AclOperation.DESCRIBE);
        return List.copyOf(acls.bindings);
    }

    /** The webhook and timer connectors' ACLs. */
    public static List<AclBinding> connector(TopicNames names, String principal) {
        ComponentAcls acls = new ComponentAcls(principal);
        acls.allow(
                ResourceType.TOPIC,
                names.ingestPrefix(),
                PatternType.PREFIXED,
                AclOperation.WRITE,
                AclOperation.CREATE);
        return List.copyOf(acls.bindings);
    }

    /** The ACLs of the actors of {@code system}, consuming in group {@code groupId}. */
    public static List<AclBinding> actor(TopicNames names, String system, String groupId, String principal) {
        ComponentAcls acls = new ComponentAcls(principal);
        acls.allow(ResourceType.TOPIC, names.actions(system), PatternType.LITERAL, AclOperation.READ);
        acls.allow(
                ResourceType.TOPIC, names.actionResults(), PatternType.LITERAL, AclOperation.READ, AclOperation.WRITE);
        // the systems catalog, for the limits its system declares
        acls.allow(ResourceType.TOPIC, names.systems(), PatternType.LITERAL, AclOperation.READ);
        // what an action waits for, as events
        acls.allow(ResourceType.TOPIC, names.actorEvents(), PatternType.LITERAL, AclOperation.WRITE);
        acls.allow(ResourceType.GROUP, groupId, PatternType.LITERAL, AclOperation.READ);
        acls.allow(
                ResourceType.TRANSACTIONAL_ID,
                names.actorTransactionalIdPrefix(system),
                PatternType.PREFIXED,
                AclOperation.WRITE,
                AclOperation.DESCRIBE);
        return List.copyOf(acls.bindings);
    }

    /** The ACLs of whoever runs {@code reflex rules apply} (a CI job, the chart's hook). */
    public static List<AclBinding> rules(TopicNames names, String principal) {
        ComponentAcls acls = new ComponentAcls(principal);
        for (String topic : List.of(names.rules(), names.rulesLog(), names.systems())) {
            acls.allow(ResourceType.TOPIC, topic, PatternType.LITERAL, AclOperation.READ, AclOperation.WRITE);
        }
        acls.createFixedTopics(names);
        // the topics the rules name: the actions topics of their systems and the ingest topics of their sources
        acls.allow(ResourceType.TOPIC, names.actionsPrefix(), PatternType.PREFIXED, AclOperation.CREATE);
        acls.allow(ResourceType.TOPIC, names.ingestPrefix(), PatternType.PREFIXED, AclOperation.CREATE);
        acls.allow(
                ResourceType.TRANSACTIONAL_ID,
                names.rulesApplyTransactionalIdPrefix(),
                PatternType.PREFIXED,
                AclOperation.WRITE,
                AclOperation.DESCRIBE);
        return List.copyOf(acls.bindings);
    }

    /** One line per binding: ALLOW User:x READ TOPIC reflex.events (LITERAL). */
    public static String describe(AclBinding binding) {
        return binding.entry().permissionType() + " " + binding.entry().principal() + " "
                + binding.entry().operation() + " " + binding.pattern().resourceType() + " "
                + binding.pattern().name() + " (" + binding.pattern().patternType() + ")";
    }

    /** The same binding as a kafka-acls.sh command line (without the connection flags). */
    public static String kafkaAclsCommand(AclBinding binding) {
        String resource = switch (binding.pattern().resourceType()) {
            case TOPIC -> "--topic";
            case GROUP -> "--group";
            case TRANSACTIONAL_ID -> "--transactional-id";
            default -> "--cluster";
        };
        String operation =
                binding.entry().operation().name().toLowerCase(Locale.ROOT).replace('_', '-');
        operation = operation.equals("describe-configs")
                ? "DescribeConfigs"
                : operation.substring(0, 1).toUpperCase(Locale.ROOT) + operation.substring(1);
        return "kafka-acls.sh --add --allow-principal '" + binding.entry().principal() + "' --operation " + operation
                + " " + resource + " '" + binding.pattern().name() + "'"
                + (binding.pattern().patternType() == PatternType.PREFIXED ? " --resource-pattern-type prefixed" : "");
    }

    /** CREATE on each fixed topic, for a component that creates the missing ones at start (a no-op when they exist). */
    private void createFixedTopics(TopicNames names) {
        for (TopicSpec spec : names.fixed()) {
            allow(ResourceType.TOPIC, spec.name(), PatternType.LITERAL, AclOperation.CREATE);
        }
    }

    private void allow(ResourceType type, String name, PatternType pattern, AclOperation... operations) {
        for (AclOperation operation : operations) {
            bindings.add(new AclBinding(
                    new ResourcePattern(type, name, pattern),
                    new AccessControlEntry(principal, "*", operation, AclPermissionType.ALLOW)));
        }
    }
}
