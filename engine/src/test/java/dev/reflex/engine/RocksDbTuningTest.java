package dev.reflex.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;

/** The memtable filter goes to duplicate detection's segments (both evaluations' stores) and nowhere else. */
class RocksDbTuningTest {
    static {
        RocksDB.loadLibrary();
    }

    private static Options tuned(String storeName) {
        Options options = new Options();
        new RocksDbTuning().setConfig(storeName, options, Map.of());
        return options;
    }

    @Test
    void duplicateDetectionSegmentsGetAMemtableFilterOverWholeKeys() {
        for (String segment : new String[] {"seen-events.1732870800000", "seen-events-at-ingest.1732870800000"}) {
            try (Options options = tuned(segment)) {
                assertThat(options.memtablePrefixBloomSizeRatio())
                        .as(segment)
                        .isEqualTo(RocksDbTuning.MEMTABLE_BLOOM_RATIO);
                assertThat(options.memtableWholeKeyFiltering()).as(segment).isTrue();
            }
        }
    }

    @Test
    void otherStoresAreLeftAsKafkaStreamsConfiguresThem() {
        for (String store : new String[] {"correlation-state", "flow-instances", "register-values"}) {
            try (Options options = tuned(store);
                    Options untouched = new Options()) {
                assertThat(options.memtablePrefixBloomSizeRatio())
                        .as(store)
                        .isEqualTo(untouched.memtablePrefixBloomSizeRatio());
                assertThat(options.memtableWholeKeyFiltering())
                        .as(store)
                        .isEqualTo(untouched.memtableWholeKeyFiltering());
            }
        }
    }
}
