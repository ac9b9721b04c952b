package dev.reflex.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

class CloudEventsTest {
    /** The conformance cases shipped in examples/events/cloudevents, by name. */
    static Map<String, JsonNode> cases(String file) throws Exception {
        JsonNode all = new ObjectMapper()
                .readTree(
                        Path.of("..", "examples", "events", "cloudevents", file).toFile());
        Map<String, JsonNode> cases = new LinkedHashMap<>();
        all.fields().forEachRemaining(e -> cases.put(e.getKey(), e.getValue()));
        return cases;
    }

    @Test
    void everyInvalidCaseHasAViolationThatNamesWhatIsWrong() throws Exception {
        Map<String, JsonNode> invalid = cases("invalid.json");
        assertThat(invalid).hasSize(25);
        invalid.forEach((name, event) ->
                assertThat(CloudEvents.violations(event)).as(name).isNotEmpty());
        assertThat(CloudEvents.violations(invalid.get("time offset +25:00")))
                .singleElement()
                .asString()
                .contains("time");
        assertThat(CloudEvents.violations(invalid.get("missing id")))
                .containsExactly("required attribute 'id' is missing");
        assertThat(CloudEvents.violations(invalid.get("extension name with a dot")))
                .singleElement()
                .asString()
                .contains("my.extension");
        assertThat(CloudEvents.violations(invalid.get("both data and data_base64")))
                .singleElement()
                .asString()
                .contains("not both");
    }

    @Test
    void everyValidCaseHasNone() throws Exception {
        Map<String, JsonNode> valid = cases("valid.json");
        assertThat(valid).hasSizeGreaterThanOrEqualTo(10);
        valid.forEach((name, event) ->
                assertThat(CloudEvents.violations(event)).as(name).isEmpty());
    }

    @Test
    void binaryModeAttributesGetTheSameChecks() {
        assertThat(CloudEvents.violations(Map.of("specversion", "1.0", "id", "1", "source", "/s", "type", "t")))
                .isEmpty();
        assertThat(CloudEvents.violations(
                        Map.of("specversion", "0.9", "id", "", "source", "/s", "time", "lunchtime", "Bad", "x")))
                .hasSize(5)
                .anySatisfy(p -> assertThat(p).contains("'type' is missing"));
    }
}
