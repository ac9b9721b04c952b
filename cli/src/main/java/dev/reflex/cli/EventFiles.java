package dev.reflex.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.apache.kafka.common.header.internals.RecordHeaders;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.reflex.engine.EngineConfig;
import dev.reflex.schemas.ContentTypes;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.TopicNames;
import dev.reflex.topology.normalize.NormalizationException;
import dev.reflex.topology.normalize.Normalizer;

/** Events read from files as the engine would read them from an ingest topic: a JSON object, or a CloudEvent. */
final class EventFiles {
    private final Normalizer normalizer;
    private final TopicNames names;
    private final String source;

    /** With the engine's settings ({@code --config}, REFLEX_* variables, {@code --set}); plain JSON events get {@code source}. */
    EventFiles(Path config, List<String> sets, String source) {
        EngineConfig settings =
                new EngineConfig(Settings.resolve(EngineConfig.CONFIG, config, System.getenv(), Settings.pairs(sets)));
        this.names = settings.topicNames();
        this.normalizer = new Normalizer(names, settings.maxEventBytes(), settings::fieldMapping, bytes -> {
            throw new IllegalStateException("a file holds JSON, not an Avro raw event");
        });
        this.source = source;
    }

    static Path existing(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new Settings.SettingsException("file not found: " + file);
        }
        return file;
    }

    /** The event in a file. */
    Event read(Path file) throws Exception {
        return read(Files.readAllBytes(existing(file)), System.currentTimeMillis(), file.toString());
    }

    /** The lines of a JSON-lines file that hold something. */
    static List<String> lines(Path file) throws Exception {
        return Files.readAllLines(existing(file), StandardCharsets.UTF_8);
    }

    /**
     * @param timestamp the time an event without one gets, as a record's timestamp would give it
     * @param where     named in errors, e.g. {@code events.jsonl:3}
     */
    Event read(byte[] body, long timestamp, String where) {
        JsonNode json;
        try {
            json = new ObjectMapper().readTree(body);
        } catch (JsonProcessingException e) {
            throw new Settings.SettingsException(where + " is not JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new Settings.SettingsException(where + " cannot be read: " + e.getMessage());
        }
        boolean cloudEvent = json != null && json.has("specversion");
        RecordHeaders headers = new RecordHeaders();
        headers.add(
                ContentTypes.HEADER,
                (cloudEvent ? ContentTypes.CLOUDEVENTS_JSON : ContentTypes.JSON).getBytes(StandardCharsets.UTF_8));
        try {
            return normalizer.normalize(new Normalizer.Origin(names.ingest(source), 0, 0, timestamp), headers, body);
        } catch (NormalizationException e) {
            throw new Settings.SettingsException(where + " is not an event the engine would accept: " + e.getMessage());
        }
    }
}
