package dev.reflex.audit.publish;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import org.apache.kafka.clients.admin.Admin;

import dev.reflex.rules.CompiledRule;
import dev.reflex.rules.files.RuleDiff;
import dev.reflex.rules.files.RuleFiles;
import dev.reflex.rules.files.SystemDiff;
import dev.reflex.rules.yaml.Problem;
import dev.reflex.schemas.ActionTemplate;
import dev.reflex.schemas.KafkaConnection;
import dev.reflex.schemas.Rule;
import dev.reflex.schemas.TopicAdmin;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.TopicSpec;
import dev.reflex.schemas.serde.ReflexSerdes;

/**
 * Applies a directory of rules to the compacted rules topic, after checking every one of them and creating the action
 * topic of every system they target (and the ingest topic of every source they name).
 */
public final class RulePublisher {
    /** The rules have problems; nothing was published. */
    public static final class InvalidRulesException extends RuntimeException {
        private final List<Problem> problems;

        public InvalidRulesException(List<Problem> problems) {
            super(problems.size() + " problem(s) in the rules; nothing was published:" + System.lineSeparator()
                    + String.join(
                            System.lineSeparator(),
                            problems.stream().map(p -> "  " + p).toList()));
            this.problems = problems;
        }

        public List<Problem> problems() {
            return problems;
        }
    }

    private RulePublisher() {}

    /** Reads and checks every rule under {@code dir}; throws {@link InvalidRulesException} listing every problem. */
    public static List<Rule> load(Path dir) throws IOException {
        return loadAll(dir).rules();
    }

    /** The rules and the systems catalog under {@code dir}, checked; throws {@link InvalidRulesException} listing every problem. */
    public static RuleFiles.Loaded loadAll(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            throw new IllegalArgumentException("rules directory not found: " + dir);
        }
        RuleFiles.Loaded loaded = RuleFiles.load(dir);
        if (!loaded.ok()) {
            throw new InvalidRulesException(loaded.problems());
        }
        return loaded;
    }

    /**
     * Makes the rules topic hold exactly the rules under {@code dir}, and the systems topic exactly its systems catalog:
     * publishes added and changed ones and tombstones for those no longer there, in one transaction, after creating the topics the rules need. Applying the same
     * directory twice changes nothing the second time. Returns what changed; with {@code dryRun}, what would.
     */
    public static RuleDiff apply(
            Path dir, KafkaConnection kafka, Admin admin, TopicNames names, ReflexSerdes serdes, boolean dryRun)
            throws IOException {
        RuleFiles.Loaded loaded = loadAll(dir);
        List<Rule> rules = loaded.rules();
        RulesTopic topic = new RulesTopic(kafka, names, serdes);
        if (!dryRun) {
            Set<String> topics = new TreeSet<>();
            for (Rule rule : rules) {
                for (ActionTemplate action : rule.getActions()) {
                    topics.add(names.actions(action.getSystem()));
                }
                if (rule.getFlow() != null) {
                    // a flow's do steps act on systems too
                    CompiledRule.compile(rule).flow().systems().forEach(system -> topics.add(names.actions(system)));
                }
                if (rule.getWhen().getSource() != null
                        && TopicNames.isValidPart(rule.getWhen().getSource())) {
                    topics.add(names.ingest(rule.getWhen().getSource()));
                }
            }
            List<TopicSpec> specs = new ArrayList<>(names.fixed());
            topics.forEach(t -> specs.add(new TopicSpec(t, false)));
            new TopicAdmin(admin, Optional.empty(), Optional.empty(), 30_000).ensure(specs);
        }
        RuleDiff diff = RuleDiff.between(topic.read(), rules)
                .withSystems(SystemDiff.between(
                        topic.readSystems(), loaded.catalog().systems().values()));
        if (!dryRun && !diff.isEmpty()) {
            topic.write(diff);
        }
        return diff;
    }
}
