package dev.reflex.topology.timeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

import dev.reflex.topology.timeline.TimelineEntry.Kind;

class InputCodecTest {
    private static TimelineInput event() {
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("eventTime", 1_772_366_400_000L);
        detail.put("labels", Map.of("team", "pay"));
        detail.put("rules", List.of(Map.of("rule", "r1", "outcome", "MATCHED")));
        return new TimelineInput(
                new TimelineEntry(
                        "e1",
                        Kind.EVENT,
                        1_772_366_400_123L,
                        "e1",
                        "webhook",
                        "checkout.failed",
                        "order-1",
                        "critical",
                        "firing",
                        null,
                        List.of("r1", "r2"),
                        null,
                        List.of(),
                        "{\"order\":1,\"note\":\"quotes \\\" and ünïcode ✓\"}",
                        detail),
                true,
                new TimelineInput.Match("webhook", "checkout.failed", "order-1", Map.of("team", "pay")));
    }

    @Test
    void anInputComesBackAsItWent() {
        TimelineInput input = event();
        byte[] bytes = InputCodec.encode(input);
        assertEquals(InputCodec.FORMAT, bytes[0]);
        TimelineInput back = InputCodec.decode(bytes);
        assertEquals(input.entry(), back.entry());
        assertEquals(input.match(), back.match());
        assertEquals(input.listed(), back.listed());

        TimelineInput bare = new TimelineInput(
                new TimelineEntry(
                        "flow/f/k#1/5/STARTED",
                        Kind.FLOW,
                        -5,
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        List.of(),
                        "f/k#1",
                        List.of("a", "*"),
                        null,
                        null),
                false,
                null);
        TimelineInput bareBack = InputCodec.decode(InputCodec.encode(bare));
        assertEquals(bare.entry(), bareBack.entry());
        assertEquals(null, bareBack.match());
        assertEquals(false, bareBack.listed());
    }

    @Test
    void jsonWrittenByEarlierVersionsIsRead() {
        TimelineInput input = event();
        TimelineInput back = InputCodec.decode(input.toJson());
        assertEquals(input.entry().data(), back.entry().data());
        assertEquals(input.match(), back.match());
    }

    @Test
    void anythingElseIsRefusedAsNotAnInput() {
        byte[] good = InputCodec.encode(event());
        List<byte[]> bad = List.of(
                new byte[0],
                "not json".getBytes(StandardCharsets.UTF_8),
                "{\"entry\":".getBytes(StandardCharsets.UTF_8),
                new byte[] {InputCodec.FORMAT},
                new byte[] {InputCodec.FORMAT, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f},
                Arrays.copyOf(good, good.length - 3),
                Arrays.copyOf(good, good.length + 1));
        for (byte[] b : bad) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InputCodec.decode(b));
            assertTrue(e.getMessage().contains("input") || e.getMessage().equals("no value"), e.getMessage());
        }
        Random random = new Random(7);
        for (int i = 0; i < 2_000; i++) {
            byte[] b = Arrays.copyOf(good, good.length);
            b[1 + random.nextInt(b.length - 1)] = (byte) random.nextInt(256);
            try {
                InputCodec.decode(b);
            } catch (IllegalArgumentException refused) {
                // a changed byte may still read as an input (a changed letter); anything else is refused this way
            }
        }
    }
}
