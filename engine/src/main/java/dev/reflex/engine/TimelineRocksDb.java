package dev.reflex.engine;

import java.util.Map;

import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.CompressionType;
import org.rocksdb.Options;

/**
 * RocksDB settings of the timeline's stores: LZ4 compression. Timeline entries are JSON text that repeats its field
 * names and systems, and they are read far less often than written. A {@code rocksdb.config.setter} of the user's wins.
 */
public final class TimelineRocksDb implements RocksDBConfigSetter {
    @Override
    public void setConfig(String storeName, Options options, Map<String, Object> configs) {
        options.setCompressionType(CompressionType.LZ4_COMPRESSION);
    }

    @Override
    public void close(String storeName, Options options) {
        // nothing to free: no RocksDB objects were made here
    }
}
