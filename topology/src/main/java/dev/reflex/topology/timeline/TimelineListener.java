package dev.reflex.topology.timeline;

/** Told of each entry the timeline stores (once, with every system it went on), from the stream thread. */
@FunctionalInterface
public interface TimelineListener {
    TimelineListener NONE = entry -> {};

    void recorded(TimelineEntry entry);
}
