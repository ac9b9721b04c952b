package dev.reflex.rules.expr;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.reflex.schemas.Event;

class EventViewTest {
    private static Event withData(String data) {
        return Event.newBuilder()
                .setId("e-1")
                .setSource("s")
                .setType("t")
                .setTime(Instant.EPOCH)
                .setData(data)
                .build();
    }

    @SuppressWarnings("unchecked")
    private static Object cpu(Event event) {
        return ((Map<String, Object>) EventView.of(event).get("data")).get("cpu");
    }

    @Test
    void theTreeTheNormalizerParsedIsUsedForThatVeryTextOnly() throws Exception {
        String text = "{\"cpu\": 97}";
        // a tree that differs from the text shows which one the view read
        EventView.parsed(text, new ObjectMapper().readTree("{\"cpu\": 12}"));

        assertThat(cpu(withData(text))).as("the text handed over: its tree").isEqualTo(12L);
        assertThat(cpu(withData(new String(text))))
                .as("an equal text that is another object: parsed")
                .isEqualTo(97L);
        assertThat(cpu(withData("{\"cpu\": 5}"))).isEqualTo(5L);
    }

    @Test
    void anotherThreadParsesForItself() throws Exception {
        String text = "{\"cpu\": 97}";
        EventView.parsed(text, new ObjectMapper().readTree("{\"cpu\": 12}"));
        Object[] seen = new Object[1];
        Thread other = new Thread(() -> seen[0] = cpu(withData(text)));
        other.start();
        other.join();
        assertThat(seen[0]).isEqualTo(97L);
    }
}
