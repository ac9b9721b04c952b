package dev.reflex.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

/** The API may listen beyond loopback only with a token. */
class EngineConfigTest {
    @Test
    void reflexsKafkaDefaultsApplyUnlessTheUserGaveTheSettingInEitherForm() {
        Map<String, Object> base = Map.of(EngineConfig.API_PORT_CONFIG, -1);
        assertThat(new EngineConfig(base).streamsProperties())
                .containsEntry("producer.batch.size", EngineConfig.DEFAULT_PRODUCER_BATCH_SIZE)
                .containsEntry("max.task.idle.ms", -1L)
                .containsEntry("rocksdb.config.setter", RocksDbTuning.class.getName())
                .doesNotContainKey("batch.size");
        var plain = new HashMap<String, Object>(base);
        plain.put("batch.size", "32768");
        assertThat(new EngineConfig(plain).streamsProperties())
                .containsEntry("batch.size", "32768")
                .doesNotContainKey("producer.batch.size");
        var prefixed = new HashMap<String, Object>(base);
        prefixed.put("producer.batch.size", "65536");
        prefixed.put("max.task.idle.ms", "0");
        prefixed.put("rocksdb.config.setter", "com.example.Tuning");
        assertThat(new EngineConfig(prefixed).streamsProperties())
                .containsEntry("producer.batch.size", "65536")
                .containsEntry("max.task.idle.ms", "0")
                .containsEntry("rocksdb.config.setter", "com.example.Tuning");
    }

    @Test
    void theTimelineGetsItsOwnStoreSettingsAndPollUnlessTheUserGaveThem() {
        Map<String, Object> base = Map.of(EngineConfig.API_PORT_CONFIG, -1, EngineConfig.NUM_STREAM_THREADS_CONFIG, 3);
        assertThat(Timeline.properties(new EngineConfig(base)))
                .containsEntry("rocksdb.config.setter", TimelineRocksDb.class.getName())
                .containsEntry("poll.ms", Timeline.POLL_MS)
                .containsEntry("num.stream.threads", 3)
                .containsEntry("application.id", "reflex-engine-timeline");
        assertThat(new EngineConfig(base).streamsProperties())
                .containsEntry("rocksdb.config.setter", RocksDbTuning.class.getName())
                .containsEntry("poll.ms", EngineConfig.DEFAULT_POLL_MS);
        var given = new HashMap<String, Object>(base);
        given.put("rocksdb.config.setter", "com.example.Tuning");
        given.put("poll.ms", "50");
        given.put(EngineConfig.TIMELINE_THREADS_CONFIG, 2);
        assertThat(Timeline.properties(new EngineConfig(given)))
                .containsEntry("rocksdb.config.setter", "com.example.Tuning")
                .containsEntry("poll.ms", "50")
                .containsEntry("num.stream.threads", 2);
    }

    @Test
    void anApiBeyondLoopbackWithoutATokenIsRefusedWithWhatToSet() {
        assertThatThrownBy(() -> new EngineConfig(Map.of(EngineConfig.API_HOST_CONFIG, "0.0.0.0")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("reflex.api.token")
                .hasMessageContaining("REFLEX_API_TOKEN");
        assertThat(new EngineConfig(Map.of(EngineConfig.API_HOST_CONFIG, "0.0.0.0", EngineConfig.API_TOKEN_CONFIG, "t"))
                        .apiToken())
                .isEqualTo("t");
        assertThat(new EngineConfig(Map.of(EngineConfig.API_HOST_CONFIG, "0.0.0.0", EngineConfig.API_PORT_CONFIG, -1))
                        .apiToken())
                .as("no API, no token needed")
                .isNull();
        assertThat(new EngineConfig(Map.of()).apiToken()).isNull();
    }
}
