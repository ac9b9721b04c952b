package dev.reflex.embedded.testing;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Records nobody can read, of the shapes a careless producer writes, for poison tests on Reflex's Avro topics. */
public final class Garbage {
    private Garbage() {}

    /**
     * Not Avro; empty; an unknown schema id; a schema id the registry knows with the body cut off; the same id with a body
     * claiming a 1.5 GB string (zig-zag varint 0x80 0xbc 0xc1 0x96 0x0b).
     */
    public static List<byte[]> records(int knownSchemaId) {
        byte[] header =
                ByteBuffer.allocate(5).put((byte) 0).putInt(knownSchemaId).array();
        byte[] hugeClaim = ByteBuffer.allocate(12)
                .put(header)
                .put(new byte[] {(byte) 0x80, (byte) 0xbc, (byte) 0xc1, (byte) 0x96, (byte) 0x0b, 1, 2})
                .array();
        return List.of(
                "{\"not\":\"avro\"}".getBytes(StandardCharsets.UTF_8),
                new byte[0],
                new byte[] {0, 0x7f, 0x7f, 0x7f, 0x7e, 1, 2, 3},
                header,
                hugeClaim);
    }
}
