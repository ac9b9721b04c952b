package dev.reflex.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import dev.reflex.rules.RuleFiles;
import dev.reflex.schemas.ActionTemplate;
import dev.reflex.schemas.Rule;
import dev.reflex.schemas.TopicAdmin;
import dev.reflex.schemas.TopicNames;
import dev.reflex.schemas.TopicSpec;
import dev.reflex.schemas.serde.ReflexSerdes;

/**
 * Publishes the rules of a directory to the compacted rules topic, after checking every one of them and creating
 * the action topic of every system they target (and the ingest topic of every source they name).
 */
public final class RulePublisher {
    /** The rules have problems; nothing was published. */
    public static final class InvalidRulesException extends RuntimeException {
        private final List<RuleFiles.Problem> problems;

        public InvalidRulesException(List<RuleFiles.Problem> problems) {
            super(problems.size() + " problem(s) in the rules; nothing was published:" + System.lineSeparator()
                + String.join(System.lineSeparator(), problems.stream().map(p -> "  " + p).toList()));
            this.problems = problems;
        }

        public List<RuleFiles.Problem> problems() {
            return problems;
        }
    }

    private RulePublisher() {
    }

    public static List<Rule> publish(Path dir, String bootstrapServers, Admin admin, TopicNames names, ReflexSerdes serdes)
            throws IOException {
        if (!Files.exists(dir)) {
            throw new Settings.SettingsException("rules directory not found: " + dir);
        }
        RuleFiles.Loaded loaded = RuleFiles.load(dir);
        if (!loaded.ok()) {
            throw new InvalidRulesException(loaded.problems());
        }
        Set<String> topics = new TreeSet<>();
        for (Rule rule : loaded.rules()) {
            for (ActionTemplate action : rule.getActions()) {
                topics.add(names.actions(action.getSystem()));
            }
            if (rule.getWhen().getSource() != null && TopicNames.isValidPart(rule.getWhen().getSource())) {
                topics.add(names.ingest(rule.getWhen().getSource()));
            }
        }
        List<TopicSpec> specs = new ArrayList<>(names.fixed());
        topics.forEach(t -> specs.add(new TopicSpec(t, false)));
        new TopicAdmin(admin, Optional.empty(), Optional.empty(), 30_000).ensure(specs);
        try (KafkaProducer<String, Rule> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 15_000),
                new StringSerializer(), serdes.value(Rule.class).serializer())) {
            List<java.util.concurrent.Future<?>> sends = new ArrayList<>();
            for (Rule rule : loaded.rules()) {
                sends.add(producer.send(new ProducerRecord<>(names.rules(), rule.getId(), rule)));
            }
            for (java.util.concurrent.Future<?> send : sends) {
                send.get();
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException("publishing rules failed: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while publishing rules", e);
        }
        return loaded.rules();
    }
}
