package dev.reflex.schemas.serde;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.avro.Schema;
import org.apache.avro.SystemLimitException;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;
import org.slf4j.LoggerFactory;

import dev.reflex.schemas.registry.SchemaRegistry;
import dev.reflex.schemas.registry.SchemaRegistryException;
import dev.reflex.schemas.registry.SchemaRegistryUnavailableException;

/**
 * Avro specific records in the Confluent wire format: magic byte 0, the 4-byte schema id, then Avro binary.
 * The subject is {@code <topic>-value} (or {@code -key}), as with Confluent's default naming strategy.
 * Registry outages surface as {@link SchemaRegistryUnavailableException} (retriable); bad bytes as
 * {@link SerializationException}.
 */
public final class AvroSerde<T extends SpecificRecord> implements Serde<T> {
    static final byte MAGIC_BYTE = 0;
    private static final int HEADER_SIZE = 5;

    static {
        // A record of garbage bytes can claim a string, byte array or array of billions of items; Avro would allocate
        // that much before finding the record too short. Bound what one record may claim (overridable as system
        // properties): far above any real Reflex record, far below the heap.
        limit("org.apache.avro.limits.string.maxLength", 64 * 1024 * 1024);
        limit("org.apache.avro.limits.bytes.maxLength", 64 * 1024 * 1024);
        limit("org.apache.avro.limits.collectionItems.maxLength", 1_000_000);
        // Avro reads these once, when its SystemLimitException class is first loaded, which may have happened before
        // this class was (any Avro decoding in the JVM); make it read them again.
        try {
            Method reset = SystemLimitException.class.getDeclaredMethod("resetLimits");
            reset.setAccessible(true);
            reset.invoke(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LoggerFactory.getLogger(AvroSerde.class)
                    .warn(
                            "could not apply Avro's decoding limits ({}); "
                                    + "set them as system properties on the command line",
                            e.toString());
        }
    }

    private static void limit(String property, int value) {
        if (System.getProperty(property) == null) {
            System.setProperty(property, Integer.toString(value));
        }
    }

    private final SchemaRegistry registry;
    private final Schema schema;
    private final boolean isKey;
    private final boolean autoRegister;
    private final SpecificDatumWriter<T> writer;
    private final Map<Integer, DatumReader<T>> readers = new ConcurrentHashMap<>();

    public AvroSerde(SchemaRegistry registry, Class<T> type, boolean isKey, boolean autoRegister) {
        this.registry = registry;
        this.schema = SpecificData.get().getSchema(type);
        this.isKey = isKey;
        this.autoRegister = autoRegister;
        this.writer = new SpecificDatumWriter<>(schema, NullableUnions.like(SpecificData.getForSchema(schema)));
    }

    /**
     * The data model the writers use: Avro's own, except that a union of null and one other type (every optional field
     * of Reflex's schemas) is resolved by whether the value is null, without Avro's lookup of the value's type name in
     * the union, which was a third of the time spent writing a record. It has the logical types' conversions of the
     * model it stands in for (a timestamp inside an optional field is written through them).
     */
    static final class NullableUnions extends SpecificData {
        static NullableUnions like(SpecificData model) {
            NullableUnions data = new NullableUnions();
            model.getConversions().forEach(data::addLogicalTypeConversion);
            return data;
        }

        @Override
        public int resolveUnion(Schema union, Object datum) {
            List<Schema> types = union.getTypes();
            if (types.size() == 2) {
                if (types.get(0).getType() == Schema.Type.NULL) {
                    return datum == null ? 0 : 1;
                }
                if (types.get(1).getType() == Schema.Type.NULL) {
                    return datum == null ? 1 : 0;
                }
            }
            return super.resolveUnion(union, datum);
        }
    }

    public Schema schema() {
        return schema;
    }

    private String subject(String topic) {
        return topic + (isKey ? "-key" : "-value");
    }

    /** The schema's id per topic, once the registry has given it: a serializer's schema never changes. */
    private final ConcurrentHashMap<String, Integer> idsByTopic = new ConcurrentHashMap<>();

    private int idFor(String topic) {
        String subject = subject(topic);
        int id = autoRegister
                ? registry.register(subject, schema)
                : registry.lookup(subject, schema)
                        .orElseThrow(() -> new SerializationException("schema of "
                                + schema.getFullName() + " is not registered under subject '" + subject
                                + "' and auto-registration is off; register it first"));
        idsByTopic.put(topic, id);
        return id;
    }

    /**
     * Where a thread serializes: a buffer without the locking of ByteArrayOutputStream (the encoder writes each field
     * to it), reused with its encoder from record to record.
     */
    private static final class Scratch extends ByteArrayOutputStream {
        /** A buffer grown past this by one large record is not kept for the next ones. */
        private static final int KEEP_AT_MOST = 1024 * 1024;

        private BinaryEncoder encoder;

        Scratch() {
            super(4096);
        }

        /** Empties the buffer (without ByteArrayOutputStream's synchronized reset) and gives the encoder onto it. */
        BinaryEncoder begin() {
            count = 0;
            encoder = EncoderFactory.get().directBinaryEncoder(this, encoder);
            return encoder;
        }

        @Override
        public void write(int b) {
            ensure(1);
            buf[count++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            ensure(len);
            System.arraycopy(b, off, buf, count, len);
            count += len;
        }

        private void ensure(int more) {
            if (count + more > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, count + more));
            }
        }

        byte[] take() {
            byte[] bytes = Arrays.copyOf(buf, count);
            count = 0;
            if (buf.length > KEEP_AT_MOST) {
                buf = new byte[4096];
            }
            return bytes;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    byte[] serialize(String topic, T record) {
        if (record == null) {
            return null;
        }
        Integer known = idsByTopic.get(topic);
        int id = known != null ? known : idFor(topic);
        Scratch out = SCRATCH.get();
        BinaryEncoder encoder = out.begin();
        out.write(MAGIC_BYTE);
        out.write(id >>> 24);
        out.write(id >>> 16);
        out.write(id >>> 8);
        out.write(id);
        try {
            writer.write(record, encoder);
            encoder.flush();
        } catch (IOException | RuntimeException e) {
            throw new SerializationException(
                    "cannot write " + schema.getFullName() + " for topic " + topic + ": " + e.getMessage(), e);
        }
        return out.take();
    }

    T deserialize(String topic, byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        if (bytes.length < HEADER_SIZE || bytes[0] != MAGIC_BYTE) {
            throw new SerializationException("record on " + topic + " is not in the Confluent Avro wire format"
                    + (bytes.length == 0
                            ? " (empty)"
                            : " (first byte 0x" + Integer.toHexString(bytes[0] & 0xff) + ")"));
        }
        int id = ByteBuffer.wrap(bytes, 1, 4).getInt();
        DatumReader<T> reader = readers.get(id);
        if (reader == null) {
            Schema writerSchema;
            try {
                writerSchema = registry.schemaById(id);
            } catch (SchemaRegistryUnavailableException e) {
                throw e;
            } catch (SchemaRegistryException e) {
                throw new SerializationException(
                        "record on " + topic + " names schema id " + id + ", which the registry does not know ("
                                + e.getMessage() + ")",
                        e);
            }
            reader = new SpecificDatumReader<>(writerSchema, schema);
            readers.put(id, reader);
        }
        try {
            BinaryDecoder decoder =
                    DecoderFactory.get().binaryDecoder(bytes, HEADER_SIZE, bytes.length - HEADER_SIZE, null);
            return reader.read(null, decoder);
        } catch (IOException | RuntimeException e) {
            // no cause: a decoder's EOFException is bad bytes, not an I/O fault to retry
            throw new SerializationException(
                    "cannot read " + schema.getFullName() + " (schema id " + id + ") from topic " + topic + ": " + e);
        }
    }

    @Override
    public Serializer<T> serializer() {
        return this::serialize;
    }

    @Override
    public Deserializer<T> deserializer() {
        return this::deserialize;
    }
}
