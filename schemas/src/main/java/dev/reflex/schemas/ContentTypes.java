package dev.reflex.schemas;

import java.util.Locale;

/** The media types of ingest records, as producers and connectors write them in the {@code content-type} header. */
public final class ContentTypes {
    public static final String HEADER = "content-type";
    public static final String JSON = "application/json";
    public static final String CLOUDEVENTS_JSON = "application/cloudevents+json";
    public static final String RAW_EVENT_AVRO = "application/vnd.reflex.rawevent+avro";

    private ContentTypes() {}

    /** The media type without parameters, lower case: {@code Application/JSON; charset=utf-8} is {@code application/json}; null for none. */
    public static String mediaType(String header) {
        if (header == null || header.isBlank()) {
            return null;
        }
        int semicolon = header.indexOf(';');
        return (semicolon < 0 ? header : header.substring(0, semicolon)).strip().toLowerCase(Locale.ROOT);
    }

    public static boolean isJson(String mediaType) {
        return mediaType != null && (mediaType.equals(JSON) || mediaType.endsWith("+json"));
    }
}
