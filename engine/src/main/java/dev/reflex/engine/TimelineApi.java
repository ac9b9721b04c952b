package dev.reflex.engine;

import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.javalin.Javalin;
import io.javalin.http.BadRequestResponse;
import io.javalin.http.Context;

import dev.reflex.rules.IndexedRule;
import dev.reflex.rules.systems.SystemCatalog;
import dev.reflex.schemas.SystemDef;
import dev.reflex.topology.timeline.EventStory;
import dev.reflex.topology.timeline.SystemState;
import dev.reflex.topology.timeline.TimelineEntry;
import dev.reflex.topology.timeline.TimelineReader;
import dev.reflex.topology.timeline.TimelineTopology;

/**
 * The timeline's read-only routes. Each instance holds the entries of the events its timeline tasks own, so a system's
 * timeline is gathered from every instance ({@code local=true} asks one instance for its own) and merged newest first.
 * <ul>
 * <li>{@code GET /api/systems}: the catalog as a tree, each system with its state now ({@link SystemState}: how many
 * alerts fire, flows run and actions failed in the last hour, with the newest ten of each);</li>
 * <li>{@code GET /api/timeline/SYSTEM?from&to&q&limit&only}: entries newest first ({@code *} is every system's);
 * {@code only=state} or {@code fired} keeps the entries that make a system's state or the decisions that fired;</li>
 * <li>{@code GET /api/timeline/SYSTEM/live?q&since}: server-sent events, one {@code entry} event per new entry, or
 * {@code reload} after a burst too large to stream;</li>
 * <li>{@code GET /api/timeline/SYSTEM/before?type&subject}: the same type for the same subject over 7 and 30 days;</li>
 * <li>{@code GET /api/timeline/SYSTEM/rules}: the rules and flows that may act there, with their last firing;</li>
 * <li>{@code GET /api/stories/EVENT_ID}: an event's story (decisions with the why, results, flow transitions).</li>
 * </ul>
 * Times are epoch milliseconds or ISO-8601 instants. Masked parameters were masked before they were stored.
 */
final class TimelineApi implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TimelineApi.class);
    private static final ObjectMapper JSON =
            new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private static final long DAY = 24 * 3_600_000L;
    /** Most earlier occurrences "has this happened before" lists. */
    private static final int OCCURRENCES = 50;
    /** How many of each kind of a system's state the tree is sent. */
    private static final int STATE_EXAMPLES = 10;
    /** Most entries a system's state and its rules' last firings look at. */
    private static final int STATE_SCAN = 5_000;

    /** A page as instances send it to each other. */
    record PageJson(List<TimelineEntry> entries, boolean more, boolean partial) {}

    private final Supplier<Timeline> timeline;
    private final Supplier<List<IndexedRule>> rules;
    private final InstanceClient instances;
    private final Supplier<HostInfo> self;
    private final TimelineLiveFeed live = new TimelineLiveFeed(
            (system, from, to, q, limit) -> page(null, system, from, to, q, limit, TimelineReader.Only.ALL));

    TimelineApi(
            Javalin app,
            Supplier<Timeline> timeline,
            Supplier<List<IndexedRule>> rules,
            InstanceClient instances,
            Supplier<HostInfo> self) {
        this.timeline = timeline;
        this.rules = rules;
        this.instances = instances;
        this.self = self;
        app.get("/api/systems", this::systems);
        app.get("/api/timeline/{system}", this::entries);
        app.sse(
                "/api/timeline/{system}/live",
                client -> live.serve(client, time(client.ctx(), "since", System.currentTimeMillis())));
        app.get("/api/timeline/{system}/before", this::before);
        app.get("/api/timeline/{system}/rules", this::rulesOf);
        app.get("/api/stories/{id}", this::story);
    }

    private Timeline timeline() {
        Timeline t = timeline.get();
        if (t == null) {
            throw new InvalidStateStoreException("the timeline is off (reflex.timeline.enabled) or not started yet");
        }
        return t;
    }

    private void systems(Context ctx) throws InterruptedException {
        SystemCatalog catalog = timeline().catalog();
        long now = System.currentTimeMillis();
        List<Map<String, Object>> systems = new ArrayList<>();
        List<String> names = new ArrayList<>(catalog.systems().keySet());
        names.add(TimelineTopology.ALL);
        for (String name : names) {
            SystemDef def = catalog.systems().get(name);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", name);
            m.put("description", def == null ? "every event, whatever its systems" : def.getDescription());
            m.put("includes", def == null ? catalog.roots() : def.getIncludes());
            m.put("includedBy", catalog.includedBy(name));
            m.put("mask", def == null ? List.of() : catalog.masked(name));
            SystemState state = SystemState.of(
                    page(
                                    ctx,
                                    name,
                                    now - SystemState.LOOKBACK_MS,
                                    now + DAY,
                                    null,
                                    STATE_SCAN,
                                    TimelineReader.Only.STATE)
                            .entries(),
                    now);
            m.put("state", summary(state));
            systems.add(m);
        }
        ctx.json(Map.of(
                "roots",
                catalog.roots(),
                "systems",
                systems,
                "timeline",
                timeline().state().name()));
    }

    /** A state as the tree shows it: how many of each, and the newest few. */
    private static Map<String, Object> summary(SystemState state) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("firing", state.firing().size());
        m.put("running", state.running().size());
        m.put("failed", state.failed().size());
        m.put(
                "newest",
                Map.of(
                        "firing",
                        newest(state.firing()),
                        "running",
                        newest(state.running()),
                        "failed",
                        newest(state.failed())));
        return m;
    }

    private static List<TimelineEntry> newest(List<TimelineEntry> entries) {
        return entries.size() > STATE_EXAMPLES ? entries.subList(0, STATE_EXAMPLES) : entries;
    }

    private void entries(Context ctx) throws InterruptedException {
        long now = System.currentTimeMillis();
        long to = time(ctx, "to", now + DAY);
        long from = time(ctx, "from", to - DAY - DAY);
        int limit = ctx.queryParamAsClass("limit", Integer.class).getOrDefault(1_000);
        TimelineReader.Only only;
        try {
            only = TimelineReader.Only.valueOf(ctx.queryParamAsClass("only", String.class)
                    .getOrDefault("all")
                    .toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new BadRequestResponse("only must be all, state or fired, not '" + ctx.queryParam("only") + "'");
        }
        TimelineReader.Page page = page(ctx, ctx.pathParam("system"), from, to, ctx.queryParam("q"), limit, only);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("system", ctx.pathParam("system"));
        body.put("from", from);
        body.put("to", to);
        body.put("entries", page.entries());
        body.put("more", page.more());
        body.put("partial", page.partial());
        ctx.json(body);
    }

    /** A page of {@code system}'s timeline: this instance's, and unless the request is local, every other instance's, merged. */
    private TimelineReader.Page page(
            Context ctx, String system, long from, long to, String q, int limit, TimelineReader.Only only)
            throws InterruptedException {
        Timeline t = timeline();
        TimelineReader.Page mine = TimelineReader.entries(t.partitions(), system, from, to, q, limit, only);
        if (ctx != null && ctx.queryParam("local") != null) {
            return mine;
        }
        List<List<TimelineEntry>> pages = new ArrayList<>(List.of(mine.entries()));
        boolean more = mine.more();
        boolean partial = mine.partial();
        for (HostInfo other : t.others(self.get())) {
            String path = "/api/timeline/" + EngineApiClient.encode(system) + "?from=" + from + "&to=" + to + "&limit="
                    + limit + "&only=" + only.name().toLowerCase(Locale.ROOT)
                    + (q == null ? "" : "&q=" + encode(q));
            HttpResponse<String> answer = instances.ask(other, path);
            if (answer == null || answer.statusCode() != 200) {
                partial = true;
                continue;
            }
            try {
                PageJson page = JSON.readValue(answer.body(), PageJson.class);
                pages.add(page.entries());
                more |= page.more();
                partial |= page.partial();
            } catch (IOException e) {
                LOG.warn("engine instance {} sent an unreadable timeline page: {}", other, e.getMessage());
                partial = true;
            }
        }
        TimelineReader.Page merged =
                TimelineReader.merge(pages, Math.max(1, Math.min(limit, TimelineReader.MAX_LIMIT)));
        return new TimelineReader.Page(merged.entries(), more || merged.more(), partial);
    }

    /** Earlier events of a type for a subject on a system: counts over 7 and 30 days, and the last 50 with what was done. */
    private void before(Context ctx) throws InterruptedException {
        String type = required(ctx, "type");
        String subject = ctx.queryParamAsClass("subject", String.class).getOrDefault("");
        String system = ctx.pathParam("system");
        long now = time(ctx, "at", System.currentTimeMillis());
        Timeline t = timeline();
        List<TimelineReader.Partition> mine = t.partitions();
        long last7 = TimelineReader.count(mine, system, type, subject, now - 7 * DAY, now);
        long last30 = TimelineReader.count(mine, system, type, subject, now - 30 * DAY, now);
        List<Map<String, Object>> times = new ArrayList<>();
        for (TimelineReader.Occurrence o :
                TimelineReader.occurrences(mine, system, type, subject, now - 30 * DAY, now, OCCURRENCES)) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("time", o.time());
            m.put("eventId", o.story().eventId());
            m.put(
                    "done",
                    o.story().entries().stream()
                            .filter(e -> e.kind() != TimelineEntry.Kind.FLOW || "started".equals(e.status()))
                            .map(e -> Map.of(
                                    "kind",
                                    e.kind().name(),
                                    "status",
                                    e.status() == null ? "" : e.status(),
                                    "summary",
                                    e.summary() == null ? "" : e.summary()))
                            .toList());
            times.add(m);
        }
        if (ctx.queryParam("local") == null) {
            String path = "/api/timeline/" + EngineApiClient.encode(system) + "/before?type=" + encode(type)
                    + "&subject=" + encode(subject) + "&at=" + now;
            for (HostInfo other : t.others(self.get())) {
                HttpResponse<String> answer = instances.ask(other, path);
                if (answer == null || answer.statusCode() != 200) {
                    continue;
                }
                try {
                    Map<String, Object> theirs = JSON.readValue(answer.body(), new TypeReference<>() {});
                    last7 += ((Number) theirs.get("last7days")).longValue();
                    last30 += ((Number) theirs.get("last30days")).longValue();
                    @SuppressWarnings("unchecked")
                    List<Map<String, Object>> occurrences = (List<Map<String, Object>>) theirs.get("occurrences");
                    times.addAll(occurrences);
                } catch (IOException | RuntimeException e) {
                    LOG.warn("engine instance {} sent an unreadable answer: {}", other, e.toString());
                }
            }
            times.sort(Comparator.comparingLong((Map<String, Object> m) -> ((Number) m.get("time")).longValue())
                    .reversed());
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("system", system);
        body.put("type", type);
        body.put("subject", subject);
        body.put("last7days", last7);
        body.put("last30days", last30);
        body.put("occurrences", times.size() > OCCURRENCES ? times.subList(0, OCCURRENCES) : times);
        ctx.json(body);
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private void rulesOf(Context ctx) throws InterruptedException {
        String system = ctx.pathParam("system");
        SystemCatalog catalog = timeline().catalog();
        long now = System.currentTimeMillis();
        Map<String, Long> lastFired = new HashMap<>();
        for (TimelineEntry e : page(ctx, system, now - 30 * DAY, now + DAY, null, STATE_SCAN, TimelineReader.Only.FIRED)
                .entries()) {
            if (e.kind() == TimelineEntry.Kind.DECISION && "fired".equals(e.status())) {
                e.rules().forEach(r -> lastFired.merge(r, e.time(), Math::max));
            }
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (IndexedRule indexed : rules.get()) {
            var when = indexed.rule().getWhen();
            if (TimelineTopology.ALL.equals(system)
                    || catalog.systemsSeenBy(when.getSource(), when.getType()).contains(system)) {
                Map<String, Object> m = new LinkedHashMap<>(EngineApi.rule(indexed));
                m.put(
                        "actions",
                        indexed.rule().getActions().stream()
                                .map(a -> a.getSystem() + "." + a.getAction())
                                .toList());
                m.put("lastFired", lastFired.get(indexed.id()));
                out.add(m);
            }
        }
        ctx.json(Map.of("system", system, "rules", out));
    }

    private void story(Context ctx) throws InterruptedException {
        String id = ctx.pathParam("id");
        Timeline t = timeline();
        Optional<EventStory> local = TimelineReader.story(t.partitions(), id);
        if (local.isPresent()) {
            ctx.json(local.get());
            return;
        }
        Optional<HostInfo> owner = t.storyOwner(id);
        if (ctx.queryParam("local") == null && owner.isPresent() && !owner.get().equals(self.get())) {
            HttpResponse<String> answer = instances.ask(owner.get(), "/api/stories/" + EngineApiClient.encode(id));
            if (answer != null) {
                ctx.status(answer.statusCode()).contentType("application/json").result(answer.body());
                return;
            }
        }
        ctx.status(404)
                .json(Map.of(
                        "error", "no event '" + id + "' on the timeline (kept for reflex.timeline.retention.days)"));
    }

    static long time(Context ctx, String name, long otherwise) {
        String value = ctx.queryParam(name);
        if (value == null || value.isBlank()) {
            return otherwise;
        }
        try {
            return value.chars().allMatch(Character::isDigit)
                    ? Long.parseLong(value)
                    : Instant.parse(value).toEpochMilli();
        } catch (NumberFormatException | DateTimeParseException e) {
            throw new BadRequestResponse(name
                    + " must be epoch milliseconds or an ISO-8601 instant (2026-11-29T03:00:00Z), not '" + value + "'");
        }
    }

    private static String required(Context ctx, String name) {
        String value = ctx.queryParam(name);
        if (value == null || value.isBlank()) {
            throw new BadRequestResponse("the query parameter '" + name + "' is required");
        }
        return value;
    }

    @Override
    public void close() {
        live.close();
    }
}
