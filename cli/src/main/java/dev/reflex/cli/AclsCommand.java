package dev.reflex.cli;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AclBinding;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import dev.reflex.schemas.ComponentAcls;
import dev.reflex.schemas.TopicNames;

@Command(
        name = "acls",
        mixinStandardHelpOptions = true,
        description = {
            "Print (or, with --apply, create) the least-privilege Kafka ACLs a Reflex component needs.",
            "engine: its topics, internal topics, group and transactional ids (by --application-id); connector: the ingest "
                    + "topics; actor: one system's actions and the results; rules: the rules topics (for reflex rules apply)."
        })
final class AclsCommand implements Callable<Integer> {
    @Option(
            names = "--component",
            required = true,
            paramLabel = "NAME",
            description = "engine, connector, actor or rules.")
    String component;

    @Option(
            names = "--principal",
            required = true,
            paramLabel = "PRINCIPAL",
            description = "Whom to allow, e.g. User:reflex-engine.")
    String principal;

    @Option(names = "--system", paramLabel = "NAME", description = "The actor's system (with --component actor).")
    String system;

    @Option(
            names = "--group-id",
            paramLabel = "ID",
            description = "The actor's consumer group (default: reflex-actor-<system>, as reflex act).")
    String groupId;

    @Option(
            names = "--application-id",
            paramLabel = "ID",
            defaultValue = "${env:REFLEX_APPLICATION_ID:-reflex-engine}",
            description = "The engine's application.id (default: ${DEFAULT-VALUE}).")
    String applicationId;

    @Option(
            names = "--topic-prefix",
            paramLabel = "PREFIX",
            defaultValue = "${env:REFLEX_TOPIC_PREFIX:-reflex.}",
            description = "Prefix of Reflex topics (default: ${DEFAULT-VALUE}).")
    String prefix;

    @Option(
            names = "--format",
            paramLabel = "FORMAT",
            defaultValue = "lines",
            description = "lines (one ACL a line) or kafka-acls (kafka-acls.sh commands) (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(
            names = "--apply",
            description =
                    "Create the ACLs on the cluster (as the principal of --kafka-config, which needs ALTER on the cluster).")
    boolean apply;

    @Mixin
    KafkaOptions kafka;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        List<AclBinding> acls = acls();
        if (!format.equals("lines") && !format.equals("kafka-acls")) {
            throw new Settings.SettingsException("--format must be lines or kafka-acls, not '" + format + "'");
        }
        for (AclBinding acl : acls) {
            spec.commandLine()
                    .getOut()
                    .println(
                            format.equals("lines") ? ComponentAcls.describe(acl) : ComponentAcls.kafkaAclsCommand(acl));
        }
        if (apply) {
            try (Admin admin = ConnectionOptions.admin(kafka.kafka())) {
                admin.createAcls(acls).all().get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                throw new IllegalStateException(
                        "the cluster refused the ACLs: " + e.getCause().getMessage()
                                + " (the principal of --kafka-config needs ALTER on the cluster, and the brokers an authorizer)",
                        e.getCause());
            }
            spec.commandLine().getOut().println("applied " + acls.size() + " ACLs for " + principal);
        }
        return 0;
    }

    private List<AclBinding> acls() {
        TopicNames names = new TopicNames(prefix);
        ComponentAcls.Component which;
        try {
            which = ComponentAcls.Component.of(component);
        } catch (IllegalArgumentException e) {
            throw new Settings.SettingsException(e.getMessage());
        }
        if (which == ComponentAcls.Component.ACTOR && system == null) {
            throw new Settings.SettingsException("--component actor needs --system NAME");
        }
        if (system != null && which != ComponentAcls.Component.ACTOR) {
            throw new Settings.SettingsException("--system is for --component actor only");
        }
        if (system != null && !TopicNames.isValidPart(system)) {
            throw new Settings.SettingsException("invalid system name '" + system + "'");
        }
        if (!principal.contains(":")) {
            throw new Settings.SettingsException("--principal needs a type, e.g. User:" + principal);
        }
        return switch (which) {
            case ENGINE -> ComponentAcls.engine(names, applicationId, principal);
            case CONNECTOR -> ComponentAcls.connector(names, principal);
            case ACTOR ->
                ComponentAcls.actor(names, system, groupId != null ? groupId : "reflex-actor-" + system, principal);
            case RULES -> ComponentAcls.rules(names, principal);
        };
    }
}
