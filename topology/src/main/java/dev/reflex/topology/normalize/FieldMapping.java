package dev.reflex.topology.normalize;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.config.ConfigException;

import com.fasterxml.jackson.core.JsonPointer;

/**
 * Where a generic JSON event keeps its attributes, per source: {@code reflex.normalizer.<source>.<attribute>} is a
 * JSON pointer ({@code /alert/fingerprint}) or a top-level field name. {@code reflex.normalizer.<source>.type.default}
 * gives a type for events that carry none.
 */
public record FieldMapping(
        JsonPointer id,
        JsonPointer type,
        JsonPointer subject,
        JsonPointer time,
        JsonPointer severity,
        JsonPointer correlationid,
        JsonPointer labels,
        String defaultType) {

    public static final FieldMapping DEFAULT = new FieldMapping(
            pointer("id"),
            pointer("type"),
            pointer("subject"),
            pointer("time"),
            pointer("severity"),
            pointer("correlationid"),
            pointer("labels"),
            null);

    /** Attribute suffixes, longest first so {@code type.default} is not read as {@code type}. */
    private static final List<String> ATTRIBUTES =
            List.of("type.default", "correlationid", "severity", "subject", "labels", "time", "type", "id");

    /** Parses settings with the {@code reflex.normalizer.} prefix already removed. */
    public static Map<String, FieldMapping> parse(Map<String, Object> settings) {
        Map<String, Map<String, String>> bySource = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : settings.entrySet()) {
            String key = e.getKey();
            String attribute = ATTRIBUTES.stream()
                    .filter(a -> key.endsWith("." + a))
                    .findFirst()
                    .orElseThrow(() -> new ConfigException(
                            "reflex.normalizer." + key,
                            e.getValue(),
                            "expected reflex.normalizer.<source>.<attribute> with attribute one of " + ATTRIBUTES));
            String source = key.substring(0, key.length() - attribute.length() - 1);
            bySource.computeIfAbsent(source, s -> new HashMap<>()).put(attribute, String.valueOf(e.getValue()));
        }
        Map<String, FieldMapping> mappings = new HashMap<>();
        bySource.forEach((source, attrs) -> {
            try {
                mappings.put(
                        source,
                        new FieldMapping(
                                pointer(attrs.getOrDefault("id", "id")),
                                pointer(attrs.getOrDefault("type", "type")),
                                pointer(attrs.getOrDefault("subject", "subject")),
                                pointer(attrs.getOrDefault("time", "time")),
                                pointer(attrs.getOrDefault("severity", "severity")),
                                pointer(attrs.getOrDefault("correlationid", "correlationid")),
                                pointer(attrs.getOrDefault("labels", "labels")),
                                attrs.get("type.default")));
            } catch (IllegalArgumentException ex) {
                throw new ConfigException("reflex.normalizer." + source, attrs, ex.getMessage());
            }
        });
        return mappings;
    }

    private static JsonPointer pointer(String spec) {
        return JsonPointer.compile(spec.startsWith("/") ? spec : "/" + spec);
    }
}
