package dev.reflex.schemas;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.DateTimeException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The CloudEvents 1.0 rules for one event's attributes, in one place: the webhook connector refuses an event that breaks
 * them (400, every violation named) and the engine dead-letters one produced straight to an ingest topic, with the
 * same reasons. Structured mode (a JSON object) and binary mode (attributes from {@code ce-} headers) are both checked.
 */
public final class CloudEvents {
    public static final String SPEC_VERSION = "1.0";
    public static final String BATCH_JSON = "application/cloudevents-batch+json";
    /** Attributes CloudEvents itself defines; every other attribute is an extension. */
    public static final Set<String> CORE =
            Set.of("specversion", "id", "source", "type", "subject", "time", "datacontenttype", "dataschema");

    private static final Set<String> REQUIRED = Set.of("specversion", "id", "source", "type");
    private static final Pattern WHITESPACE = Pattern.compile("\\s");
    private static final Pattern EXTENSION_NAME = Pattern.compile("[a-z0-9]{1,20}");
    /** RFC 3339 date-time: seconds required, fraction optional, Z or a numeric offset hh:mm. */
    private static final Pattern RFC3339 =
            Pattern.compile("\\d{4}-\\d{2}-\\d{2}[Tt]\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?([Zz]|[+-]\\d{2}:\\d{2})");
    /** RFC 2046 media type: type "/" subtype, each an RFC 2045 token, then optional parameters. */
    private static final Pattern MEDIA_TYPE =
            Pattern.compile("[!#$%&'*+\\-.^_`|~0-9A-Za-z]+/[!#$%&'*+\\-.^_`|~0-9A-Za-z]+(\\s*;.*)?");

    private CloudEvents() {}

    /** Every violation of a structured-mode event; empty when it is valid. */
    public static List<String> violations(JsonNode event) {
        List<String> problems = new ArrayList<>();
        if (event == null || !event.isObject()) {
            problems.add("a CloudEvent in structured mode must be a JSON object");
            return problems;
        }
        for (String name : REQUIRED) {
            JsonNode value = event.get(name);
            if (value == null || value.isNull()) {
                problems.add("required attribute '" + name + "' is missing");
            }
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = event.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String name = field.getKey();
            JsonNode value = field.getValue();
            if (name.equals("data") || value.isNull()) {
                continue;
            }
            if (name.equals("data_base64")) {
                if (!value.isTextual() || !isBase64(value.asText())) {
                    problems.add("data_base64 must be a base64 string");
                }
                continue;
            }
            if (CORE.contains(name)) {
                if (!value.isTextual()) {
                    problems.add("attribute '" + name + "' must be a string, got " + kind(value));
                } else {
                    checkCore(name, value.asText(), problems);
                }
            } else {
                checkExtensionName(name, problems);
                if (!(value.isTextual() || value.isBoolean() || value.isInt() || isInt32(value))) {
                    problems.add(
                            "extension '" + name + "' must be a string, a boolean or an integer, got " + kind(value));
                }
            }
        }
        JsonNode data = event.get("data");
        JsonNode base64 = event.get("data_base64");
        if (data != null && !data.isNull() && base64 != null && !base64.isNull()) {
            problems.add("an event carries data or data_base64, not both");
        }
        return problems;
    }

    /** Every violation of binary-mode attributes (names without the {@code ce-} or {@code ce_} prefix); empty when valid. */
    public static List<String> violations(Map<String, String> attributes) {
        List<String> problems = new ArrayList<>();
        for (String name : REQUIRED) {
            if (!attributes.containsKey(name)) {
                problems.add("required attribute '" + name + "' is missing");
            }
        }
        attributes.forEach((name, value) -> {
            if (CORE.contains(name)) {
                checkCore(name, value, problems);
            } else {
                checkExtensionName(name, problems);
            }
        });
        return problems;
    }

    private static void checkCore(String name, String value, List<String> problems) {
        if (value.isEmpty()) {
            problems.add("attribute '" + name + "' must not be empty");
            return;
        }
        switch (name) {
            case "specversion" -> {
                if (!value.equals(SPEC_VERSION)) {
                    problems.add("specversion must be 1.0, got '" + value + "'");
                }
            }
            case "time" -> {
                if (!isTime(value)) {
                    problems.add(
                            "time '" + value
                                    + "' is not an RFC 3339 timestamp (e.g. 2026-01-31T12:00:00Z or 2026-01-31T13:00:00.5+01:00)");
                }
            }
            case "datacontenttype" -> {
                if (!MEDIA_TYPE.matcher(value).matches()) {
                    problems.add("datacontenttype '" + value
                            + "' is not a media type (type/subtype, e.g. application/json)");
                }
            }
            case "dataschema" -> {
                if (!isUri(value, true)) {
                    problems.add("dataschema '" + value + "' is not an absolute URI");
                }
            }
            case "source" -> {
                if (!isUri(value, false)) {
                    problems.add("source '" + value + "' is not a URI reference");
                }
            }
            default -> {}
        }
    }

    private static void checkExtensionName(String name, List<String> problems) {
        if (!EXTENSION_NAME.matcher(name).matches()) {
            problems.add("extension name '" + name + "' must be 1 to 20 lower-case letters or digits");
        }
    }

    /** Whether {@code text} is an RFC 3339 timestamp with seconds and a valid offset. */
    private static boolean isTime(String text) {
        if (!RFC3339.matcher(text).matches()) {
            return false;
        }
        try {
            OffsetDateTime.parse(text.toUpperCase(Locale.ROOT));
            return true;
        } catch (DateTimeException e) {
            return false;
        }
    }

    private static boolean isUri(String text, boolean absolute) {
        try {
            URI uri = new URI(text);
            return !absolute || uri.isAbsolute();
        } catch (URISyntaxException e) {
            return false;
        }
    }

    /** The bytes of a data_base64 value (line breaks allowed, as MIME writes them). */
    public static byte[] decodeBase64(String text) {
        return Base64.getDecoder().decode(WHITESPACE.matcher(text).replaceAll(""));
    }

    private static boolean isBase64(String text) {
        try {
            Base64.getDecoder().decode(WHITESPACE.matcher(text).replaceAll(""));
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static boolean isInt32(JsonNode value) {
        return value.isIntegralNumber() && value.canConvertToInt();
    }

    private static String kind(JsonNode value) {
        return switch (value.getNodeType()) {
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case NUMBER ->
                !value.isIntegralNumber()
                        ? "a non-integer number"
                        : value.canConvertToInt() ? "a number" : "an integer beyond 32 bits";
            case BOOLEAN -> "a boolean";
            case STRING -> "a string";
            default -> "null";
        };
    }
}
