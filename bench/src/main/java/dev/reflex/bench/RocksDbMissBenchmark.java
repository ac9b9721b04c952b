package dev.reflex.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;

import dev.reflex.engine.RocksDbTuning;

/**
 * Nanoseconds per RocksDB point read, of a key that is there and of one that is not (duplicate detection's common case:
 * a new event id), from a memtable of 200,000 keys, with Kafka Streams' 16 MiB memtable, with and without the memtable
 * bloom filter {@link RocksDbTuning} gives duplicate detection's stores. Runs on the RocksDB the engine ships with
 * (the root pom's rocksdb.version): a miss there is cheap only since the version whose Java get stopped throwing a C++
 * exception for an absent key.
 *
 * <p>{@code bench/run RocksDbMiss}. On the RocksDB Kafka Streams ships with instead:
 * {@code ./mvnw -pl bench -am -DskipTests package -Drocksdb.version=10.1.3 && java -jar bench/target/benchmarks.jar RocksDbMiss}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RocksDbMissBenchmark {
    private static final int KEYS = 200_000;

    @Param({"none", "memtable"})
    public String filter;

    private Path dir;
    private Options options;
    private RocksDB db;
    private byte[][] present;
    private byte[][] absent;
    private int next;

    @Setup(Level.Trial)
    public void open() throws Exception {
        RocksDB.loadLibrary();
        dir = Files.createTempDirectory("reflex-rocksdb-bench");
        options = new Options().setCreateIfMissing(true).setWriteBufferSize(16L * 1024 * 1024);
        if (filter.equals("memtable")) {
            new RocksDbTuning().setConfig("seen-events.0", options, Map.of());
        }
        db = RocksDB.open(options, dir.toString());
        present = new byte[KEYS][];
        absent = new byte[KEYS][];
        for (int i = 0; i < KEYS; i++) {
            present[i] = ("event-" + i).getBytes(StandardCharsets.UTF_8);
            absent[i] = ("other-" + i).getBytes(StandardCharsets.UTF_8);
            db.put(present[i], new byte[8]);
        }
    }

    @TearDown(Level.Trial)
    public void close() throws Exception {
        db.close();
        options.close();
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Benchmark
    public byte[] miss() throws RocksDBException {
        next = next + 1 == KEYS ? 0 : next + 1;
        return db.get(absent[next]);
    }

    @Benchmark
    public byte[] hit() throws RocksDBException {
        next = next + 1 == KEYS ? 0 : next + 1;
        return db.get(present[next]);
    }
}
