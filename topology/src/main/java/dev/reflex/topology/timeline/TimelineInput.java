package dev.reflex.topology.timeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * What the first step hands the attribution step, keyed by event id on the timeline's repartition topic: an entry, and
 * the attributes to find its systems by when its event is not known.
 *
 * @param entry  the entry, with data and detail, not masked yet
 * @param listed false for an entry kept in its event's story only (the event made of an action result, listed as that
 *               result on the systems of the event that asked for the action)
 * @param match  source, type, subject and labels to attribute by (a rule change: the trigger's source and type); null
 *               when there are none
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TimelineInput(TimelineEntry entry, boolean listed, Match match) {

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Match(String source, String type, String subject, Map<String, String> labels) {
        public Match {
            labels = labels == null ? Map.of() : Map.copyOf(labels);
        }
    }

    public byte[] toJson() {
        try {
            return TimelineEntry.json().writeValueAsBytes(this);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads an input; throws {@link IllegalArgumentException} for anything that is not one. */
    public static TimelineInput fromJson(byte[] json) {
        if (json == null) {
            throw new IllegalArgumentException("no value");
        }
        try {
            TimelineInput input = TimelineEntry.json().readValue(json, TimelineInput.class);
            if (input.entry() == null
                    || input.entry().id() == null
                    || input.entry().kind() == null) {
                throw new IllegalArgumentException("a timeline input needs an entry with an id and a kind");
            }
            return input;
        } catch (IOException e) {
            throw new IllegalArgumentException("not a timeline input: " + e.getMessage(), e);
        }
    }
}
