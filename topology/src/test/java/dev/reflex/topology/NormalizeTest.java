package dev.reflex.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.test.TestRecord;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.reflex.schemas.DeadLetter;
import dev.reflex.schemas.Event;
import dev.reflex.schemas.RawEvent;
import dev.reflex.topology.normalize.FieldMapping;

class NormalizeTest extends TopologyTestBase {

    @Override
    TopologyOptions options() {
        return super.options()
                .withMaxEventBytes(2048)
                .withFieldMappings(FieldMapping.parse(Map.<String, Object>of(
                        "alerts.type", "/kind",
                        "alerts.subject", "/target/host",
                        "heartbeat.type.default", "heartbeat")));
    }

    @Test
    void genericJsonBecomesAnEventKeyedBySubject() {
        ingestJson("monitoring", """
            {"id":"e-1","type":"cpu.high","subject":"web-1","time":"2026-03-01T11:59:00Z",
             "severity":"critical","labels":{"env":"prod"},"cpu":97}""");
        TestRecord<String, Event> record = events.readRecord();
        assertThat(record.key()).isEqualTo("web-1");
        Event e = record.value();
        assertThat(e.getId()).isEqualTo("e-1");
        assertThat(e.getSource()).isEqualTo("monitoring");
        assertThat(e.getType()).isEqualTo("cpu.high");
        assertThat(e.getTime()).isEqualTo(Instant.parse("2026-03-01T11:59:00Z"));
        assertThat(e.getSeverity()).isEqualTo("critical");
        assertThat(e.getLabels()).containsEntry("env", "prod");
        assertThat(e.getData()).contains("\"cpu\":97");
        assertThat(dlq.isEmpty()).isTrue();
    }

    @Test
    void anEventWithoutIdGetsOneFromItsPositionSoAReplayGivesTheSameId() {
        ingestJson("monitoring", "{\"type\":\"ping\"}");
        Event e = events.readValue();
        assertThat(e.getId()).isEqualTo("reflex.ingest.monitoring-0-0");
        assertThat(e.getSubject()).isNull();
        assertThat(e.getTime()).isEqualTo(NOW);
    }

    @Test
    void perSourceFieldMappingAndDefaultType() {
        ingestJson("alerts", "{\"kind\":\"disk.full\",\"target\":{\"host\":\"db-2\"}}");
        ingestJson("heartbeat", "{\"from\":\"agent-7\"}");
        assertThat(values(events))
                .extracting(Event::getType, Event::getSubject)
                .containsExactly(Tuple.tuple("disk.full", "db-2"), Tuple.tuple("heartbeat", null));
    }

    @Test
    void structuredCloudEvents() {
        ingest("github", "application/cloudevents+json; charset=utf-8", """
            {"specversion":"1.0","id":"ce-1","source":"/github/acme","type":"push","subject":"acme/api",
             "time":"2026-03-01T10:00:00Z","datacontenttype":"application/json","data":{"ref":"main"},
             "traceparent":"00-abc-def-01","team":"platform"}""".getBytes(StandardCharsets.UTF_8), Map.of());
        Event e = events.readValue();
        assertThat(e.getId()).isEqualTo("ce-1");
        assertThat(e.getSource()).isEqualTo("/github/acme");
        assertThat(e.getType()).isEqualTo("push");
        assertThat(e.getData()).isEqualTo("{\"ref\":\"main\"}");
        assertThat(e.getTraceparent()).isEqualTo("00-abc-def-01");
        assertThat(e.getLabels()).containsEntry("team", "platform");
    }

    @Test
    void binaryCloudEvents() {
        ingest(
                "deploys",
                "application/json",
                "{\"version\":\"1.2.3\"}".getBytes(StandardCharsets.UTF_8),
                Map.of(
                        "ce_specversion",
                        "1.0",
                        "ce_id",
                        "b-1",
                        "ce_source",
                        "/ci",
                        "ce_type",
                        "deploy.finished",
                        "ce_subject",
                        "api",
                        "ce_severity",
                        "info"));
        Event e = events.readValue();
        assertThat(e.getId()).isEqualTo("b-1");
        assertThat(e.getType()).isEqualTo("deploy.finished");
        assertThat(e.getSubject()).isEqualTo("api");
        assertThat(e.getSeverity()).isEqualTo("info");
        assertThat(e.getData()).isEqualTo("{\"version\":\"1.2.3\"}");
    }

    /** The CloudEvents conformance cases of examples/events/cloudevents, by name. */
    private static Map<String, String> cases(String file) throws Exception {
        JsonNode all = new ObjectMapper()
                .readTree(
                        Path.of("..", "examples", "events", "cloudevents", file).toFile());
        Map<String, String> cases = new LinkedHashMap<>();
        all.fields().forEachRemaining(e -> cases.put(e.getKey(), e.getValue().toString()));
        return cases;
    }

    @Test
    void invalidCloudEventsProducedStraightToAnIngestTopicAreDeadLetteredWithEveryViolation() throws Exception {
        Map<String, String> invalid = cases("invalid.json");
        invalid.values()
                .forEach(json -> ingest(
                        "probe", "application/cloudevents+json", json.getBytes(StandardCharsets.UTF_8), Map.of()));
        assertThat(events.isEmpty()).isTrue();
        List<DeadLetter> letters = values(dlq);
        assertThat(letters)
                .hasSize(invalid.size())
                .allSatisfy(l -> assertThat(l.getReason()).startsWith("invalid CloudEvent: "));
        assertThat(letters.get(new ArrayList<>(invalid.keySet()).indexOf("time offset +xx:00"))
                        .getReason())
                .contains("time '2018-04-05T18:31:00+xx:00' is not an RFC 3339 timestamp");
    }

    @Test
    void validCloudEventsAreAcceptedAndDataBase64IsDecodedForRulesAndKept() throws Exception {
        Map<String, String> valid = cases("valid.json");
        valid.values()
                .forEach(json -> ingest(
                        "probe", "application/cloudevents+json", json.getBytes(StandardCharsets.UTF_8), Map.of()));
        assertThat(values(dlq)).isEmpty();
        List<Event> normalized = values(events);
        assertThat(normalized).hasSize(valid.size());
        Event json = normalized.get(new ArrayList<>(valid.keySet()).indexOf("data_base64 with JSON"));
        assertThat(json.getData()).isEqualTo("{\"restarts\":4}");
        assertThat(StandardCharsets.UTF_8.decode(json.getDataBase64()).toString())
                .isEqualTo("{\"restarts\": 4}");
        Event bytes = normalized.get(new ArrayList<>(valid.keySet()).indexOf("data_base64 with bytes"));
        assertThat(bytes.getData()).isNull();
        assertThat(bytes.getDataBase64()).isEqualTo(ByteBuffer.wrap(new byte[] {0, 1, 2, 3, (byte) 0xff}));
        Event nanos = normalized.get(new ArrayList<>(valid.keySet()).indexOf("time with nanoseconds and an offset"));
        assertThat(nanos.getTime()).isEqualTo(Instant.parse("2026-01-31T12:00:00.123Z"));
    }

    @Test
    void aBinaryModeBodyThatIsNeitherJsonNorTextIsKeptAsBytes() {
        ingest(
                "files",
                "application/octet-stream",
                new byte[] {1, 2, 3},
                Map.of("ce_specversion", "1.0", "ce_id", "f-1", "ce_source", "/uploads", "ce_type", "file.uploaded"));
        Event e = events.readValue();
        assertThat(e.getData()).isNull();
        assertThat(e.getDataBase64()).isEqualTo(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        assertThat(e.getDatacontenttype()).isEqualTo("application/octet-stream");
    }

    @Test
    void avroRawEventsWrappingJson() {
        RawEvent raw = RawEvent.newBuilder()
                .setContentType("application/json")
                .setSource("batch")
                .setBody(ByteBuffer.wrap(
                        "{\"type\":\"job.done\",\"subject\":\"nightly\"}".getBytes(StandardCharsets.UTF_8)))
                .build();
        byte[] bytes = topics.serdes()
                .value(RawEvent.class)
                .serializer()
                .serialize(topics.names().ingest("avro"), raw);
        ingest("avro", "application/vnd.reflex.rawevent+avro", bytes, Map.of());
        Event e = events.readValue();
        assertThat(e.getSource()).isEqualTo("batch");
        assertThat(e.getType()).isEqualTo("job.done");
        assertThat(e.getSubject()).isEqualTo("nightly");
    }

    @Test
    void badRecordsGoToTheDeadLetterTopicWithReasonsAndTheNextGoodOneIsProcessed() {
        ingest(
                "monitoring",
                "application/json",
                "{\"type\": oops".getBytes(StandardCharsets.UTF_8),
                Map.of("trace", "t-1"));
        ingest("monitoring", "text/plain", "hello".getBytes(StandardCharsets.UTF_8), Map.of());
        ingest(
                "monitoring",
                "application/json",
                ("{\"type\":\"big\",\"pad\":\"" + "x".repeat(3000) + "\"}").getBytes(StandardCharsets.UTF_8),
                Map.of());
        ingest(
                "monitoring",
                "application/json",
                new byte[] {'{', '"', 't', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'},
                Map.of());
        ingest(
                "monitoring",
                "application/json",
                "{\"subject\":\"no-type\"}".getBytes(StandardCharsets.UTF_8),
                Map.of());
        ingest("monitoring", "application/json", "[1,2]".getBytes(StandardCharsets.UTF_8), Map.of());
        ingest(
                "monitoring",
                "application/json",
                "{\"type\":\"x\"} trailing".getBytes(StandardCharsets.UTF_8),
                Map.of());
        ingest(
                "ce",
                "application/cloudevents+json",
                "{\"specversion\":\"1.0\",\"source\":\"/x\",\"type\":\"t\"}".getBytes(StandardCharsets.UTF_8),
                Map.of());
        ingest("avro", "application/vnd.reflex.rawevent+avro", new byte[] {0, 0, 0, 0, 1, 9}, Map.of());
        ingestJson("monitoring", "{\"type\":\"fine\"}");

        var letters = values(dlq);
        assertThat(letters)
                .extracting(DeadLetter::getReason)
                .satisfiesExactly(
                        r -> assertThat(r).startsWith("invalid JSON").contains("line 1"),
                        r -> assertThat(r).startsWith("unsupported content type 'text/plain'"),
                        r -> assertThat(r).contains("the limit is 2048 (reflex.max.event.bytes)"),
                        r -> assertThat(r).startsWith("invalid JSON").contains("UTF-8"),
                        r -> assertThat(r)
                                .contains("the event has no type")
                                .contains("reflex.normalizer.monitoring.type.default"),
                        r -> assertThat(r).isEqualTo("expected a JSON object, got an array"),
                        r -> assertThat(r)
                                .startsWith("invalid JSON: Unrecognized token 'trailing'")
                                .contains("column 14"),
                        r -> assertThat(r).isEqualTo("invalid CloudEvent: required attribute 'id' is missing"),
                        r -> assertThat(r).startsWith("cannot read the Avro RawEvent"));
        DeadLetter first = letters.get(0);
        assertThat(first.getTopic()).isEqualTo("reflex.ingest.monitoring");
        assertThat(first.getPartition()).isZero();
        assertThat(first.getOffset()).isZero();
        assertThat(first.getStage()).isEqualTo("normalize");
        assertThat(StandardCharsets.UTF_8.decode(first.getValue()).toString()).isEqualTo("{\"type\": oops");
        assertThat(first.getHeaders()).anySatisfy(h -> {
            assertThat(h.getKey()).isEqualTo("trace");
            assertThat(StandardCharsets.UTF_8.decode(h.getValue()).toString()).isEqualTo("t-1");
        });
        assertThat(values(events)).extracting(Event::getType).containsExactly("fine");
    }

    @Test
    void aRecordOnTheEventsTopicThatIsNotAvroIsDeadLetteredAndTheNextIsEvaluated() {
        var raw = driver.createInputTopic(
                topics.events().name(),
                Serdes.String().serializer(),
                Serdes.ByteArray().serializer());
        raw.pipeInput("k", "{\"not\":\"avro\"}".getBytes(StandardCharsets.UTF_8));
        eventsIn.pipeInput(
                "s",
                Event.newBuilder()
                        .setId("ok-1")
                        .setSource("x")
                        .setType("t")
                        .setTime(NOW)
                        .build());
        DeadLetter letter = dlq.readValue();
        assertThat(letter.getStage()).isEqualTo("deserialize");
        assertThat(letter.getReason()).contains("not in the Confluent Avro wire format");
        assertThat(letter.getTopic()).isEqualTo("reflex.events");
        assertThat(values(decisions)).extracting(d -> d.getEventId()).containsExactly("ok-1");
    }
}
