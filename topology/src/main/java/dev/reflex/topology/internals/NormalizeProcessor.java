package dev.reflex.topology.internals;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.reflex.schemas.DeadLetter;
import dev.reflex.schemas.Event;
import dev.reflex.topology.Partitioning;
import dev.reflex.topology.ProcessingListener;
import dev.reflex.topology.normalize.NormalizationException;
import dev.reflex.topology.normalize.Normalizer;

/** Raw ingest records to events keyed by subject; what cannot be normalized goes to the dead-letter sink. */
public final class NormalizeProcessor implements Processor<byte[], byte[], String, SpecificRecord> {
    private static final Logger LOG = LoggerFactory.getLogger(NormalizeProcessor.class);
    private final Normalizer normalizer;
    private final Outputs outputs;
    private final String reader;
    private final ProcessingListener listener;
    private final Partitioning partitioning;
    private ProcessorContext<String, SpecificRecord> context;

    /**
     * Where events go (the events sink), where those evaluated here go as well (null when nothing is evaluated in this
     * sub-topology) and where dead letters go.
     */
    public record Outputs(Output<Event> events, Output<Event> evaluate, Output<DeadLetter> deadLetters) {}

    /** {@code reader} is named in the dead letters it writes; {@code partitioning} says which events are evaluated here. */
    public NormalizeProcessor(
            Normalizer normalizer,
            String reader,
            ProcessingListener listener,
            Partitioning partitioning,
            Outputs outputs) {
        this.listener = listener;
        this.partitioning = partitioning;
        this.reader = reader;
        this.normalizer = normalizer;
        this.outputs = outputs;
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
            listener.normalized(event);
            Events.forward(
                    context,
                    outputs.events(),
                    outputs.evaluate(),
                    partitioning.evaluatesAtIngest(record.key(), key),
                    new Record<>(key, event, record.timestamp()));
        } catch (NormalizationException e) {
            LOG.warn(
                    "dead-lettering record {}-{}@{} at normalize: {}",
                    md.topic(),
                    md.partition(),
                    md.offset(),
                    e.getMessage());
            DeadLetter letter = RecordDeadLetters.of(context, record, "normalize", reader, e.getMessage(), e);
            outputs.deadLetters().forward(context, new Record<>(md.topic(), letter, record.timestamp()));
        }
    }
}
