package dev.reflex.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import dev.reflex.embedded.testing.Docker;
import dev.reflex.embedded.testing.Images;

/**
 * The chart, linted strictly and rendered by a real helm over several values files, and the rendered manifests read
 * back: probes, environment, volumes, and secrets only by reference.
 */
class HelmChartTest {
    private static final String CHART = "helm/reflex";
    private static final String SECURED = "deploy/src/test/resources/helm/secured.yaml";
    private static final String MINIMAL = "deploy/src/test/resources/helm/minimal.yaml";

    @Test
    void lintsStrictlyWithEveryValuesFile() throws IOException {
        for (List<String> values : List.of(List.<String>of(), List.of("-f", SECURED), List.of("-f", MINIMAL))) {
            List<String> args = new ArrayList<>(List.of("lint", "--strict", CHART));
            args.addAll(values);
            Docker.Result lint = Helm.run(args.toArray(String[]::new));
            assertThat(lint.exit()).as(lint.output()).isZero();
            assertThat(lint.output()).contains("0 chart(s) failed");
        }
    }

    @Test
    void theEngineIsAStatefulSetWithStateProbesAndSecretsByReference() throws IOException {
        List<Map<String, Object>> docs = template("-f", SECURED);
        Map<String, Object> engine = one(docs, "StatefulSet", "r-reflex-engine");
        Map<String, Object> pod = path(engine, "spec", "template", "spec");
        Map<String, Object> container = first(path(pod, "containers"));
        assertThat(path(engine, "spec", "replicas").toString()).isEqualTo("3");
        assertThat((Object) path(engine, "spec", "serviceName")).isEqualTo("r-reflex-engine-headless");
        assertThat(pod.get("terminationGracePeriodSeconds")).isEqualTo(60);
        assertThat((Object) path(container, "readinessProbe", "httpGet", "path"))
                .isEqualTo("/api/health/ready");
        assertThat((Object) path(container, "livenessProbe", "httpGet", "path")).isEqualTo("/api/health/live");
        assertThat((List<Object>) container.get("args"))
                .contains(
                        "engine",
                        "num.standby.replicas=2",
                        "main.consumer.group.instance.id=$(POD_NAME)",
                        "commit.interval.ms=200");
        Map<String, Map<String, Object>> env = env(container);
        assertThat((Object) path(env.get("REFLEX_API_TOKEN"), "valueFrom", "secretKeyRef", "name"))
                .isEqualTo("reflex");
        assertThat((Object) path(env.get("REFLEX_SASL_JAAS_CONFIG"), "valueFrom", "secretKeyRef", "key"))
                .isEqualTo("engine-sasl-jaas-config");
        assertThat(env.get("REFLEX_SECURITY_PROTOCOL").get("value")).isEqualTo("SASL_SSL");
        assertThat(env.get("REFLEX_SSL_TRUSTSTORE_LOCATION").get("value"))
                .isEqualTo("/etc/reflex/kafka-tls/truststore.p12");
        assertThat(env.get("REFLEX_API_HOST").get("value")).isEqualTo("0.0.0.0");
        assertThat(mounts(container))
                .containsEntry("state", "/var/lib/reflex")
                .containsEntry("tmp", "/tmp")
                .containsEntry("kafka-tls", "/etc/reflex/kafka-tls");
        assertThat((Object) path(container, "securityContext", "readOnlyRootFilesystem"))
                .isEqualTo(true);
        assertThat((Object) path(pod, "securityContext", "runAsNonRoot")).isEqualTo(true);
        Map<String, Object> claim = first(path(engine, "spec", "volumeClaimTemplates"));
        assertThat((Object) path(claim, "metadata", "name")).isEqualTo("state");
        assertThat(kinds(docs)).contains("PodDisruptionBudget", "ServiceMonitor", "PodMonitor", "Ingress");
    }

    @Test
    void noRenderedSecretIsALiteral() throws IOException {
        for (List<Map<String, Object>> docs : List.of(template(), template("-f", SECURED), template("-f", MINIMAL))) {
            for (Map<String, Object> doc : docs) {
                if (!List.of("Deployment", "StatefulSet", "Job").contains(doc.get("kind"))) {
                    continue;
                }
                Map<String, Object> pod = path(doc, "spec", "template", "spec");
                for (Map<String, Object> container : (List<Map<String, Object>>) pod.get("containers")) {
                    env(container).forEach((name, variable) -> {
                        if (name.matches(".*(TOKEN|PASSWORD|JAAS|SECRET).*")) {
                            assertThat(variable)
                                    .as(doc.get("kind") + " " + name)
                                    .doesNotContainKey("value")
                                    .containsKey("valueFrom");
                        }
                    });
                    assertThat(mounts(container))
                            .as("a writable /tmp under a read-only root")
                            .containsEntry("tmp", "/tmp");
                }
            }
        }
    }

    @Test
    void connectorActorsTimerAndRulesJobFollowTheValues() throws IOException {
        List<Map<String, Object>> docs = template("-f", SECURED);
        Map<String, Object> connector =
                first(path(one(docs, "Deployment", "r-reflex-connector"), "spec", "template", "spec", "containers"));
        Map<String, Map<String, Object>> env = env(connector);
        assertThat((Object) path(env.get("REFLEX_WEBHOOK_TOKEN"), "valueFrom", "secretKeyRef", "key"))
                .isEqualTo("webhook-token");
        assertThat((Object)
                        path(env.get("REFLEX_WEBHOOK_HMAC_BILLING_EVENTS_SECRET"), "valueFrom", "secretKeyRef", "key"))
                .isEqualTo("hmac-billing-events");
        assertThat((Object) path(env.get("REFLEX_GITHUB_WEBHOOK_SECRET"), "valueFrom", "secretKeyRef", "optional"))
                .isEqualTo(true);
        assertThat((Object) path(connector, "readinessProbe", "httpGet", "path"))
                .isEqualTo("/health");

        Map<String, Object> actor = first(path(
                one(docs, "Deployment", "r-reflex-actor-service-manager"), "spec", "template", "spec", "containers"));
        assertThat((List<Object>) actor.get("args"))
                .containsSequence("act", "http", "--system", "service-manager")
                .contains("http.base.url=http://service-manager.internal");
        assertThat((Object) path(first(actor.get("envFrom")), "secretRef", "name"))
                .isEqualTo("service-manager-credentials");
        assertThat((Object) path(actor, "livenessProbe", "httpGet", "port")).isEqualTo("admin");
        assertThat((Object) path(env(actor).get("REFLEX_SASL_JAAS_CONFIG"), "valueFrom", "secretKeyRef", "key"))
                .isEqualTo("actor-sasl-jaas-config");
        one(docs, "Deployment", "r-reflex-actor-chat");

        Map<String, Object> timer =
                first(path(one(docs, "Deployment", "r-reflex-timer"), "spec", "template", "spec", "containers"));
        assertThat((List<Object>) timer.get("args")).contains("heartbeat=@every 1m", "nightly=0 2 * * *");

        Map<String, Object> job = one(docs, "Job", "r-reflex-rules-apply");
        assertThat((Object) path(job, "metadata", "annotations", "helm.sh/hook"))
                .isEqualTo("post-install,post-upgrade");
        assertThat((List<Object>) first(path(job, "spec", "template", "spec", "containers"))
                        .get("args"))
                .containsExactly("rules", "apply", "/etc/reflex/rules");
        assertThat(path(one(docs, "ConfigMap", "r-reflex-rules"), "data").toString())
                .contains("restart-on-deploy-failure");
    }

    @Test
    void theMinimalValuesLeaveOutWhatTheyTurnOff() throws IOException {
        List<Map<String, Object>> docs = template("-f", MINIMAL);
        assertThat(names(docs))
                .doesNotContain("r-reflex-connector", "r-reflex-dashboard", "r-reflex-rules")
                .contains("r-reflex-engine", "r-reflex-rules-apply");
        Map<String, Object> job = one(docs, "Job", "r-reflex-rules-apply");
        assertThat((Object) path(first(path(job, "spec", "template", "spec", "volumes")), "configMap", "name"))
                .isEqualTo("reflex-rules-from-git");
        Map<String, Object> engine =
                first(path(one(docs, "StatefulSet", "r-reflex-engine"), "spec", "template", "spec", "containers"));
        assertThat((List<Object>) engine.get("args")).doesNotContain("main.consumer.group.instance.id=$(POD_NAME)");
        assertThat(env(engine))
                .doesNotContainKey("REFLEX_SASL_JAAS_CONFIG")
                .doesNotContainKey("REFLEX_SSL_TRUSTSTORE_LOCATION");
    }

    @Test
    void theDashboardShipsInAConfigMapForGrafana() throws IOException {
        Map<String, Object> dashboard = one(template(), "ConfigMap", "r-reflex-dashboard");
        assertThat((Object) path(dashboard, "metadata", "labels", "grafana_dashboard"))
                .isEqualTo("1");
        assertThat(path(dashboard, "data", "reflex.json").toString().strip())
                .isEqualTo(Files.readString(Images.repo().resolve(CHART + "/dashboards/reflex.json"))
                        .strip());
    }

    @Test
    void aTimerWithoutSchedulesIsRefusedWithTheReason() throws IOException {
        Docker.Result result = Helm.run("template", "r", CHART, "--set", "timer.enabled=true");
        assertThat(result.exit()).isNotZero();
        assertThat(result.output()).contains("timer.enabled needs at least one schedule");
    }

    private static List<Map<String, Object>> template(String... values) throws IOException {
        List<String> args = new ArrayList<>(List.of("template", "r", CHART, "--namespace", "ops"));
        args.addAll(List.of(values));
        Docker.Result result = Helm.run(args.toArray(String[]::new)).orThrow("helm template");
        List<Map<String, Object>> docs = new ArrayList<>();
        for (Object doc : new Yaml().loadAll(result.output())) {
            if (doc != null) {
                docs.add((Map<String, Object>) doc);
            }
        }
        return docs;
    }

    private static Map<String, Object> one(List<Map<String, Object>> docs, String kind, String name) {
        List<Map<String, Object>> found = docs.stream()
                .filter(d -> kind.equals(d.get("kind")) && name.equals(path(d, "metadata", "name")))
                .toList();
        assertThat(found).as(kind + " " + name + " among " + names(docs)).hasSize(1);
        return found.get(0);
    }

    private static List<String> kinds(List<Map<String, Object>> docs) {
        return docs.stream().map(d -> (String) d.get("kind")).toList();
    }

    private static List<String> names(List<Map<String, Object>> docs) {
        return docs.stream().map(d -> (String) path(d, "metadata", "name")).toList();
    }

    private static Map<String, Map<String, Object>> env(Map<String, Object> container) {
        Map<String, Map<String, Object>> byName = new LinkedHashMap<>();
        for (Map<String, Object> variable : (List<Map<String, Object>>) container.getOrDefault("env", List.of())) {
            byName.put((String) variable.get("name"), variable);
        }
        return byName;
    }

    private static Map<String, String> mounts(Map<String, Object> container) {
        Map<String, String> byName = new LinkedHashMap<>();
        for (Map<String, Object> mount :
                (List<Map<String, Object>>) container.getOrDefault("volumeMounts", List.of())) {
            byName.put((String) mount.get("name"), (String) mount.get("mountPath"));
        }
        return byName;
    }

    @SuppressWarnings("unchecked")
    private static <T> T path(Object node, String... keys) {
        Object at = node;
        for (String key : keys) {
            at = at == null ? null : ((Map<String, Object>) at).get(key);
        }
        return (T) Objects.requireNonNull(at, () -> "no " + String.join(".", keys));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> first(Object list) {
        return ((List<Map<String, Object>>) list).get(0);
    }
}
