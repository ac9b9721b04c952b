package dev.reflex.topology.internals;


import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

import dev.reflex.schemas.DeadLetter;
import dev.reflex.schemas.Event;

/** Raw ingest records to events keyed by subject; what cannot be normalized goes to the dead-letter sink. */
public final class NormalizeProcessor implements Processor<byte[], byte[], String, SpecificRecord> {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(NormalizeProcessor.class);
    private final Normalizer normalizer;
    private final java.util.List<String> eventChildren;
    private final String dlqSink;
    private final String reader;
    private ProcessorContext<String, SpecificRecord> context;

    /** Events go to each of {@code eventChildren} (the events sink, and evaluate when it runs in this sub-topology). */
    public NormalizeProcessor(Normalizer normalizer, java.util.List<String> eventChildren, String dlqSink, String reader) {
        this.reader = reader;
        this.normalizer = normalizer;
        this.eventChildren = java.util.List.copyOf(eventChildren);
        this.dlqSink = dlqSink;
    }

    @Override
    public void init(ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        RecordMetadata md = context.recordMetadata().orElseThrow();
        Normalizer.Origin origin = new Normalizer.Origin(md.topic(), md.partition(), md.offset(), record.timestamp());
        try {
            Event event = normalizer.normalize(origin, record.headers(), record.value());
            String key = event.getSubject() != null ? event.getSubject() : event.getId();
            Record<String, SpecificRecord> out = new Record<>(key, event, record.timestamp());
            for (String child : eventChildren) {
                context.forward(out, child);
            }
        } catch (NormalizationException e) {
            LOG.warn("dead-lettering record {}-{}@{} at normalize: {}", md.topic(), md.partition(), md.offset(), e.getMessage());
            DeadLetter letter = RecordDeadLetters.of(context, record, "normalize", reader, e.getMessage(), e);
            context.forward(new Record<>(md.topic(), letter, record.timestamp()), dlqSink);
        }
    }
}
