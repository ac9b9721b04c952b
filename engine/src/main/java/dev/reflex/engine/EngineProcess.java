package dev.reflex.engine;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * One engine instance as a process runs it: the API listens first (so {@code application.server} can name it), then
 * the engine starts and the API serves it, with the engine's and the JVM's meters on {@code /metrics}. Closing stops
 * both. {@link #awaitExit} blocks until the engine stops and says how the process should exit.
 */
public final class EngineProcess implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EngineProcess.class);
    /** The exit code when Kafka Streams stopped in ERROR, or input stood still: the process ends so that it is restarted. */
    public static final int EXIT_STREAMS_ERROR = 1;

    private final Engine engine;
    private final Optional<Timeline> timeline;
    private final Optional<EngineApi> api;
    private final PrometheusMeterRegistry metrics;
    private final JvmGcMetrics gc;

    private EngineProcess(
            Engine engine,
            Optional<Timeline> timeline,
            Optional<EngineApi> api,
            PrometheusMeterRegistry metrics,
            JvmGcMetrics gc) {
        this.engine = engine;
        this.timeline = timeline;
        this.api = api;
        this.metrics = metrics;
        this.gc = gc;
    }

    /** Starts the API (unless reflex.api.port is -1) and the engine with {@code settings}. */
    public static EngineProcess start(Map<String, Object> settings) {
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        metrics.config().meterFilter(EngineMetrics.stateStoreTags());
        new JvmMemoryMetrics().bindTo(metrics);
        new JvmThreadMetrics().bindTo(metrics);
        new ProcessorMetrics().bindTo(metrics);
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(metrics);
        EngineConfig given = new EngineConfig(settings);
        Optional<EngineApi> api = EngineApi.start(given, metrics);
        TimelineYield yield = new TimelineYield(given.getLong(EngineConfig.TIMELINE_YIELD_MAX_MS_CONFIG));
        Engine engine;
        try {
            engine = Engine.start(
                    new EngineConfig(api.map(a -> a.routedSettings(settings)).orElse(settings)), metrics, yield);
        } catch (RuntimeException e) {
            api.ifPresent(EngineApi::close);
            gc.close();
            throw e;
        }
        engine.bindMetrics(metrics);
        Optional<Timeline> timeline;
        try {
            timeline = api.isPresent()
                    ? Timeline.start(
                            new EngineConfig(api.get().routedSettings(settings)), metrics, engine::stopFor, yield)
                    : Optional.empty();
        } catch (RuntimeException e) {
            engine.close();
            api.ifPresent(EngineApi::close);
            gc.close();
            throw e;
        }
        api.ifPresent(a -> a.attach(engine, timeline));
        return new EngineProcess(engine, timeline, api, metrics, gc);
    }

    /**
     * Keeps a stream thread's failure from being printed twice: Kafka Streams rethrows it after the engine's handler
     * has logged it and replaced the thread, and the JVM's default handler would print the stack trace again.
     * Other threads' failures are logged as errors.
     */
    public static void logUncaughtFailures() {
        Thread.setDefaultUncaughtExceptionHandler((thread, error) -> {
            if (thread.getName().contains("StreamThread")) {
                LOG.debug("stream thread {} ended", thread.getName(), error);
            } else {
                LOG.error("thread {} failed", thread.getName(), error);
            }
        });
    }

    public Engine engine() {
        return engine;
    }

    /** The timeline, when it runs (reflex.timeline.enabled and the API on). */
    public Optional<Timeline> timeline() {
        return timeline;
    }

    /** The API's address, e.g. {@code http://127.0.0.1:8095}; empty when it is off. */
    public Optional<String> apiUrl() {
        return api.map(EngineApi::url);
    }

    public PrometheusMeterRegistry metrics() {
        return metrics;
    }

    /** Waits until the engine processes records; false when it did not within {@code timeout}. */
    public boolean awaitRunning(Duration timeout) throws InterruptedException {
        return engine.awaitRunning(timeout);
    }

    /**
     * Blocks until the engine stops; 0 after a deliberate stop, {@link #EXIT_STREAMS_ERROR} when Kafka Streams failed or
     * the engine stopped itself on input it did not process ({@link Engine#stall}).
     */
    public int awaitExit() throws InterruptedException {
        engine.awaitStopped();
        return engine.state() == KafkaStreams.State.ERROR || engine.stall().isPresent() ? EXIT_STREAMS_ERROR : 0;
    }

    @Override
    public void close() {
        timeline.ifPresent(Timeline::close);
        engine.close();
        api.ifPresent(EngineApi::close);
        gc.close();
        metrics.close();
    }
}
