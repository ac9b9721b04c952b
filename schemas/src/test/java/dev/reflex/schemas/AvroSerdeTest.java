package dev.reflex.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.apache.avro.SystemLimitException;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.reflex.embedded.testing.TestServices;
import dev.reflex.schemas.registry.SchemaRegistryClient;
import dev.reflex.schemas.serde.AvroSerde;
import dev.reflex.schemas.serde.ReflexSerdes;

class AvroSerdeTest {
    private static ReflexSerdes serdes;

    @BeforeAll
    static void start() {
        serdes = new ReflexSerdes(
                new SchemaRegistryClient(TestServices.registry().url()), true);
    }

    private static Event event() {
        return Event.newBuilder()
                .setId("e-1")
                .setSource("monitoring")
                .setType("cpu.high")
                .setSubject("web-1")
                .setTime(Instant.ofEpochMilli(1_700_000_000_000L))
                .setData("{\"cpu\":97}")
                .setLabels(Map.of("env", "prod"))
                .build();
    }

    @Test
    void bytesClaimingAHugeStringAreRefusedWithoutAllocatingIt() {
        // Avro's limits are read when its SystemLimitException class loads; load it first, as other code in a JVM may
        SystemLimitException.checkMaxStringLength(1);
        AvroSerde<Event> serde = serdes.value(Event.class);
        byte[] good = serde.serializer().serialize("serde-test.events", event());
        // the schema id of a real Event, then a first field (specversion, a string) claiming 1.5 GB
        byte[] bad = ByteBuffer.allocate(12)
                .put(good, 0, 5)
                .put(new byte[] {(byte) 0x80, (byte) 0xbc, (byte) 0xc1, (byte) 0x96, (byte) 0x0b, 1, 2})
                .array();
        assertThatThrownBy(() -> serde.deserializer().deserialize("serde-test.events", bad))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("exceeds maximum allowed");
    }

    @Test
    void aRecordSurvivesTheWireFormatAndStartsWithMagicByteAndId() {
        AvroSerde<Event> serde = serdes.value(Event.class);
        byte[] bytes = serde.serializer().serialize("serde-test.events", event());
        assertThat(bytes[0]).isEqualTo((byte) 0);
        int id = ByteBuffer.wrap(bytes, 1, 4).getInt();
        assertThat(serdes.registry().schemaById(id)).isEqualTo(Event.getClassSchema());
        assertThat(serde.deserializer().deserialize("serde-test.events", bytes)).isEqualTo(event());
    }

    @Test
    void aRecordThatCannotBeWrittenLeavesNothingBehindForTheNextOnTheSameThread() {
        AvroSerde<Event> serde = serdes.value(Event.class);
        Event broken = event();
        broken.setSource(null); // not nullable: the writer fails half-way through the record
        assertThatThrownBy(() -> serde.serializer().serialize("serde-test.events", broken))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("cannot write dev.reflex.schemas.Event");
        byte[] bytes = serde.serializer().serialize("serde-test.events", event());
        assertThat(serde.deserializer().deserialize("serde-test.events", bytes)).isEqualTo(event());
        // a large record, then a small one: each is exactly its own bytes
        Event large = event();
        large.setData("{\"pad\":\"" + "x".repeat(20_000) + "\"}");
        assertThat(serde.deserializer()
                        .deserialize("serde-test.events", serde.serializer().serialize("serde-test.events", large)))
                .isEqualTo(large);
        assertThat(serde.serializer().serialize("serde-test.events", event())).isEqualTo(bytes);
    }

    @Test
    void optionalFieldsAreWrittenExactlyAsAvrosOwnWriterWritesThemSetOrNot() throws Exception {
        AvroSerde<Event> serde = serdes.value(Event.class);
        Event bare = event();
        Event full = event();
        full.setSubject(null);
        full.setSeverity("critical");
        full.setCorrelationid("c-1");
        full.setTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        for (Event e : List.of(bare, full)) {
            byte[] ours = serde.serializer().serialize("serde-test.events", e);
            assertThat(Arrays.copyOfRange(ours, 5, ours.length)).isEqualTo(avrosOwn(e));
            assertThat(serde.deserializer().deserialize("serde-test.events", ours))
                    .isEqualTo(e);
        }
    }

    @Test
    void anOptionalTimestampIsWrittenThroughItsConversionSetOrNot() throws Exception {
        AvroSerde<Register> serde = serdes.value(Register.class);
        Register register = Register.newBuilder()
                .setName("maintenance")
                .setValue("on")
                .setUpdatedAt(Instant.ofEpochMilli(1_700_000_000_000L))
                .setEventId("e-1")
                .setRuleId("r-1")
                .build();
        for (Instant expires : Arrays.asList(null, Instant.ofEpochMilli(1_700_000_060_000L))) {
            register.setExpiresAt(expires);
            byte[] ours = serde.serializer().serialize("serde-test.registers", register);
            assertThat(Arrays.copyOfRange(ours, 5, ours.length)).isEqualTo(avrosOwn(register));
            assertThat(serde.deserializer().deserialize("serde-test.registers", ours))
                    .isEqualTo(register);
        }
    }

    private static <T extends SpecificRecord> byte[] avrosOwn(T record) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new SpecificDatumWriter<T>(record.getSchema()).write(record, encoder);
        encoder.flush();
        return out.toByteArray();
    }

    @Test
    void bytesNotInTheWireFormatAreRefusedWithTheReason() {
        AvroSerde<Event> serde = serdes.value(Event.class);
        assertThatThrownBy(() -> serde.deserializer().deserialize("t", "{\"json\":1}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("not in the Confluent Avro wire format")
                .hasMessageContaining("0x7b");
    }

    @Test
    void anUnknownSchemaIdIsRefusedNamingTheId() {
        AvroSerde<Event> serde = serdes.value(Event.class);
        byte[] bytes = {0, 0x7f, 0, 0, 1, 2, 3};
        assertThatThrownBy(() -> serde.deserializer().deserialize("t", bytes))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("schema id " + 0x7f000001);
    }

    @Test
    void truncatedAvroIsRefused() {
        AvroSerde<Event> serde = serdes.value(Event.class);
        byte[] full = serde.serializer().serialize("serde-test.events", event());
        byte[] truncated = Arrays.copyOf(full, 12);
        assertThatThrownBy(() -> serde.deserializer().deserialize("serde-test.events", truncated))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("cannot read dev.reflex.schemas.Event");
    }
}
