package dev.reflex.engine;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import dev.reflex.embedded.testing.TestServices;
import dev.reflex.schemas.TopicNames;

/** Engine settings for tests on the shared broker and registry: one application per topic prefix. */
public final class TestEngines {
    private TestEngines() {}

    public static Map<String, Object> settings(TopicNames names, Path stateDir) {
        Map<String, Object> settings = new HashMap<>();
        settings.put(EngineConfig.BOOTSTRAP_SERVERS_CONFIG, TestServices.kafka().bootstrapServers());
        settings.put(
                EngineConfig.SCHEMA_REGISTRY_URL_CONFIG, TestServices.registry().url());
        settings.put(EngineConfig.TOPIC_PREFIX_CONFIG, names.prefix());
        settings.put(EngineConfig.APPLICATION_ID_CONFIG, names.prefix() + "engine");
        settings.put(EngineConfig.STATE_DIR_CONFIG, stateDir.toString());
        settings.put(EngineConfig.METADATA_MAX_AGE_MS_CONFIG, 1000L);
        return settings;
    }
}
