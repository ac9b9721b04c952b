package dev.reflex.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The alerts of an alert storm, as Alertmanager sends them: groups of one alert name, each group one notification, at
 * a time within the storm's spread. Of every 100 alerts: 25 pod crashes (5 per pod, each restarts its pod), 30 high
 * latencies (12 per web host, throttled to one action per host), 20 full disks (10 per disk in one notification,
 * debounced to one action per disk), 10 nodes down (half resolved a second later, so only the other half acts, after
 * 3 s) with their 5 resolutions, and 10 services down (each starts a flow that calls the service). Which actions the
 * rules make is therefore known in advance ({@link #expectedActions}).
 */
final class StormWorkload {
    /** The one target that answers slowly. */
    static final String SLOW_TARGET = "pod-0";

    /** The name of the alerts sent before the storm, which no rule acts on. */
    static final String WARM_UP = "warmup";

    static final long DEBOUNCE_MS = 2_000;
    static final long UNLESS_MS = 3_000;
    static final long RESOLVED_AFTER_MS = 1_000;

    /** One alert: its name, the host it concerns, its fingerprint, and whether it is a resolution. */
    record Alert(String name, String instance, String fingerprint, boolean resolved) {}

    /** One notification: its alerts, posted at {@code atMs} after the storm began. */
    record Group(String name, List<Alert> alerts, long atMs) {}

    final List<Group> groups;
    /** Actions per target the rules make, and when the first alert of each target is posted. */
    final Map<String, Integer> actionsPerTarget = new HashMap<>();

    final Map<String, Long> firstAlertOfTarget = new HashMap<>();
    /** When the last debounced or unless deadline is due (ms after the storm began). */
    long lastDeadlineMs;

    final int alerts;

    StormWorkload(int alerts, long spreadMs, int groupSize) {
        this.alerts = alerts;
        List<Group> all = new ArrayList<>();
        int pods = Math.max(1, alerts * 25 / 100 / 5);
        all.addAll(kind("PodCrash", alerts * 25 / 100, groupSize, spreadMs, i -> "pod-" + (i % pods)));
        int webs = Math.max(1, alerts * 30 / 100 / 12);
        all.addAll(kind("HighLatency", alerts * 30 / 100, groupSize, spreadMs, i -> "web-" + (i % webs)));
        all.addAll(kind("DiskFull", alerts * 20 / 100, groupSize, spreadMs, i -> "disk-" + (i / 10)));
        List<Group> down = kind("NodeDown", alerts * 10 / 100, groupSize, spreadMs, i -> "node-" + i);
        all.addAll(down);
        for (Group group : down) {
            List<Alert> resolved = new ArrayList<>();
            for (int i = 0; i < group.alerts().size(); i += 2) {
                Alert a = group.alerts().get(i);
                resolved.add(new Alert(a.name(), a.instance(), a.fingerprint(), true));
            }
            all.add(new Group("NodeDown", resolved, group.atMs() + RESOLVED_AFTER_MS));
        }
        all.addAll(kind("ServiceDown", alerts * 10 / 100, groupSize, spreadMs, i -> "svc-" + i));
        all.sort(Comparator.comparingLong(Group::atMs));
        this.groups = List.copyOf(all);
        count();
    }

    private interface Instance {
        String of(int i);
    }

    /** {@code n} alerts named {@code name}, in groups of {@code groupSize} spread evenly over {@code spreadMs}. */
    private static List<Group> kind(String name, int n, int groupSize, long spreadMs, Instance instance) {
        List<Group> groups = new ArrayList<>();
        int count = (n + groupSize - 1) / groupSize;
        for (int g = 0; g < count; g++) {
            List<Alert> alerts = new ArrayList<>();
            for (int i = g * groupSize; i < Math.min(n, (g + 1) * groupSize); i++) {
                String host = instance.of(i);
                alerts.add(new Alert(name, host, name.toLowerCase() + "-" + i, false));
            }
            groups.add(new Group(name, alerts, (long) ((g + 0.5) * spreadMs / count)));
        }
        return groups;
    }

    /** The actions the rules make, per target, from the alerts alone. */
    private void count() {
        Map<String, Boolean> resolvedNodes = new HashMap<>();
        groups.stream()
                .flatMap(g -> g.alerts().stream())
                .filter(Alert::resolved)
                .forEach(a -> resolvedNodes.put(a.fingerprint(), true));
        for (Group group : groups) {
            for (Alert a : group.alerts()) {
                if (a.resolved()) {
                    continue;
                }
                String target = switch (a.name()) {
                    case "PodCrash" -> a.instance();
                    case "HighLatency" -> actionsPerTarget.containsKey(a.instance()) ? null : a.instance();
                    case "DiskFull" -> actionsPerTarget.containsKey(a.instance()) ? null : a.instance();
                    case "NodeDown" -> resolvedNodes.containsKey(a.fingerprint()) ? null : a.instance();
                    default -> a.fingerprint();
                };
                if (a.name().equals("DiskFull")) {
                    lastDeadlineMs = Math.max(lastDeadlineMs, group.atMs() + DEBOUNCE_MS);
                }
                if (target == null) {
                    continue;
                }
                if (a.name().equals("NodeDown")) {
                    lastDeadlineMs = Math.max(lastDeadlineMs, group.atMs() + UNLESS_MS);
                }
                actionsPerTarget.merge(target, 1, Integer::sum);
                firstAlertOfTarget.putIfAbsent(target, group.atMs());
            }
        }
    }

    /** Alerts no rule acts on, all at once, sent before the storm so that it meets an engine that has been running. */
    static List<Group> warmUp(int alerts, int groupSize) {
        return kind("WarmUp", alerts, groupSize, 0, i -> "warm-" + i).stream()
                .map(g -> new Group(
                        g.name(),
                        g.alerts().stream()
                                .map(a -> new Alert(a.name(), a.instance(), WARM_UP + "-" + a.fingerprint(), false))
                                .toList(),
                        0))
                .toList();
    }

    int expectedActions() {
        return actionsPerTarget.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** The rules of the storm: a plain rule, a throttle, a debounce, an {@code unless} and a flow, all on {@code stub}. */
    static String rules() {
        String call = "{system: stub, action: call, target: \"${event.labels.instance}\","
                + " params: {url: \"/call/${event.labels.instance}/${event.subject}\"}}";
        return """
            id: storm-restart-crashed-pod
            when: {source: alertmanager, type: alert.firing, condition: "event.labels.alertname == 'PodCrash'"}
            then: [%1$s]
            ---
            id: storm-latency-once-per-host
            when: {source: alertmanager, type: alert.firing, condition: "event.labels.alertname == 'HighLatency'"}
            correlate:
              key: ${event.labels.instance}
              throttle: {max: 1, per: 1h}
            then: [%1$s]
            ---
            id: storm-disk-when-quiet
            when: {source: alertmanager, type: alert.firing, condition: "event.labels.alertname == 'DiskFull'"}
            correlate:
              key: ${event.labels.instance}
              debounce: %2$dms
            then: [%1$s]
            ---
            id: storm-node-still-down
            when: {source: alertmanager, type: alert.firing, condition: "event.labels.alertname == 'NodeDown'"}
            correlate:
              unless: {source: alertmanager, type: alert.resolved, within: %3$dms}
            then: [%1$s]
            ---
            kind: flow
            id: storm-service-down
            start: {when: {source: alertmanager, type: alert.firing, condition: "event.labels.alertname == 'ServiceDown'"}}
            steps:
              - id: call
                do: {system: stub, action: call, target: "${context.key}", params: {url: "/flow/${context.key}"}}
                timeout: 10m
            """.formatted(call, DEBOUNCE_MS, UNLESS_MS);
    }

    /** One notification as Alertmanager's webhook sends it, its alerts starting (or ending) at {@code isoNow}. */
    static String notification(Group group, String isoNow) {
        StringBuilder alerts = new StringBuilder();
        for (Alert a : group.alerts()) {
            if (alerts.length() > 0) {
                alerts.append(',');
            }
            alerts.append(String.format(
                    "{\"status\":\"%s\",\"labels\":{\"alertname\":\"%s\",\"instance\":\"%s\",\"severity\":\"critical\"},"
                            + "\"annotations\":{\"summary\":\"%s on %s\"},\"startsAt\":\"%s\",\"endsAt\":\"%s\","
                            + "\"generatorURL\":\"http://prometheus.example:9090/graph\",\"fingerprint\":\"%s\"}",
                    a.resolved() ? "resolved" : "firing",
                    a.name(),
                    a.instance(),
                    a.name(),
                    a.instance(),
                    a.resolved() ? "2026-01-01T00:00:00Z" : isoNow,
                    a.resolved() ? isoNow : "0001-01-01T00:00:00Z",
                    a.fingerprint()));
        }
        return String.format(
                "{\"version\":\"4\",\"groupKey\":\"{}:{alertname=\\\"%s\\\"}\",\"status\":\"%s\",\"receiver\":\"reflex\","
                        + "\"groupLabels\":{\"alertname\":\"%s\"},\"commonLabels\":{\"alertname\":\"%s\"},"
                        + "\"externalURL\":\"http://alertmanager.example:9093\",\"alerts\":[%s]}",
                group.name(),
                group.alerts().get(0).resolved() ? "resolved" : "firing",
                group.name(),
                group.name(),
                alerts);
    }
}
