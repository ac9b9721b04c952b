package dev.reflex.topology.timeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.type.TypeReference;

import dev.reflex.topology.timeline.TimelineEntry.Kind;

/**
 * How a {@link TimelineInput} crosses the timeline's repartition topic: length-prefixed fields after a format byte,
 * the entry's detail (a tree of any shape) as JSON inside. Writing an event's data as a JSON string escaped every quote
 * in it and reading it back unescaped them again; this copies its bytes. A value that starts with {@code '{'} is read
 * as the JSON earlier versions wrote, so inputs in flight during an upgrade are read.
 */
final class InputCodec {
    /** The first byte of this format (JSON starts with '{'). */
    static final byte FORMAT = 1;

    private static final TypeReference<Map<String, Object>> DETAIL = new TypeReference<>() {};

    private InputCodec() {}

    static byte[] encode(TimelineInput input) {
        Writer w = new Writer();
        w.bytes[w.at++] = FORMAT;
        TimelineEntry e = input.entry();
        w.string(e.id());
        w.string(e.kind().name());
        w.number(e.time());
        w.string(e.eventId());
        w.string(e.source());
        w.string(e.type());
        w.string(e.subject());
        w.string(e.severity());
        w.string(e.status());
        w.string(e.summary());
        w.strings(e.rules());
        w.string(e.flow());
        w.strings(e.systems());
        w.string(e.data());
        if (e.detail() == null) {
            w.number(-1);
        } else {
            try {
                w.chunk(TimelineEntry.json().writeValueAsBytes(e.detail()));
            } catch (IOException x) {
                throw new UncheckedIOException(x);
            }
        }
        w.number(input.listed() ? 1 : 0);
        TimelineInput.Match m = input.match();
        if (m == null) {
            w.number(-1);
        } else {
            w.number(m.labels().size());
            w.string(m.source());
            w.string(m.type());
            w.string(m.subject());
            m.labels().forEach((k, v) -> {
                w.string(k);
                w.string(v);
            });
        }
        return Arrays.copyOf(w.bytes, w.at);
    }

    /** Reads an input; throws {@link IllegalArgumentException} for anything that is not one. */
    static TimelineInput decode(byte[] value) {
        if (value == null || value.length == 0) {
            throw new IllegalArgumentException("no value");
        }
        if (value[0] == '{') {
            return TimelineInput.fromJson(value);
        }
        if (value[0] != FORMAT) {
            throw new IllegalArgumentException("not a timeline input: unknown format " + value[0]);
        }
        Reader r = new Reader(value);
        try {
            String id = r.string();
            Kind kind = Kind.valueOf(r.string());
            long time = r.number();
            String eventId = r.string();
            String source = r.string();
            String type = r.string();
            String subject = r.string();
            String severity = r.string();
            String status = r.string();
            String summary = r.string();
            List<String> rules = r.strings();
            String flow = r.string();
            List<String> systems = r.strings();
            String data = r.string();
            byte[] detailJson = r.chunk();
            Map<String, Object> detail =
                    detailJson == null ? null : TimelineEntry.json().readValue(detailJson, DETAIL);
            boolean listed = r.number() == 1;
            long labels = r.number();
            TimelineInput.Match match = null;
            if (labels >= 0) {
                String mSource = r.string();
                String mType = r.string();
                String mSubject = r.string();
                Map<String, String> l = new LinkedHashMap<>();
                for (long i = 0; i < labels; i++) {
                    l.put(r.string(), r.string());
                }
                match = new TimelineInput.Match(mSource, mType, mSubject, l);
            }
            if (r.at != value.length) {
                throw new IllegalArgumentException((value.length - r.at) + " bytes after the input");
            }
            if (id == null) {
                throw new IllegalArgumentException("an entry without id");
            }
            return new TimelineInput(
                    new TimelineEntry(
                            id, kind, time, eventId, source, type, subject, severity, status, summary, rules, flow,
                            systems, data, detail),
                    listed,
                    match);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("not a timeline input: " + e.getMessage(), e);
        }
    }

    /** Appends numbers (zig-zag varints) and length-prefixed bytes to a growing array. */
    private static final class Writer {
        byte[] bytes = new byte[512];
        int at;

        void number(long n) {
            room(10);
            long v = (n << 1) ^ (n >> 63);
            while ((v & ~0x7FL) != 0) {
                bytes[at++] = (byte) ((v & 0x7F) | 0x80);
                v >>>= 7;
            }
            bytes[at++] = (byte) v;
        }

        void string(String s) {
            if (s == null) {
                number(-1);
            } else {
                chunk(s.getBytes(StandardCharsets.UTF_8));
            }
        }

        void strings(List<String> list) {
            number(list.size());
            list.forEach(this::string);
        }

        void chunk(byte[] b) {
            number(b.length);
            room(b.length);
            System.arraycopy(b, 0, bytes, at, b.length);
            at += b.length;
        }

        private void room(int n) {
            if (at + n > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, at + n));
            }
        }
    }

    /** Reads what {@link Writer} wrote, refusing lengths past the end. */
    private static final class Reader {
        final byte[] bytes;
        int at = 1;

        Reader(byte[] bytes) {
            this.bytes = bytes;
        }

        long number() {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (at >= bytes.length) {
                    throw new IllegalArgumentException("it ends inside a number");
                }
                byte b = bytes[at++];
                v |= (long) (b & 0x7F) << shift;
                if ((b & 0x80) == 0) {
                    return (v >>> 1) ^ -(v & 1);
                }
            }
            throw new IllegalArgumentException("a number longer than 10 bytes");
        }

        byte[] chunk() {
            long n = number();
            if (n == -1) {
                return null;
            }
            if (n < 0 || n > bytes.length - at) {
                throw new IllegalArgumentException("a length of " + n + " past its end");
            }
            byte[] out = Arrays.copyOfRange(bytes, at, at + (int) n);
            at += (int) n;
            return out;
        }

        String string() {
            long n = number();
            if (n == -1) {
                return null;
            }
            if (n < 0 || n > bytes.length - at) {
                throw new IllegalArgumentException("a length of " + n + " past its end");
            }
            String s = new String(bytes, at, (int) n, StandardCharsets.UTF_8);
            at += (int) n;
            return s;
        }

        List<String> strings() {
            long n = number();
            if (n < 0 || n > bytes.length - at) {
                throw new IllegalArgumentException(n + " strings");
            }
            List<String> out = new ArrayList<>((int) n);
            for (long i = 0; i < n; i++) {
                String s = string();
                if (s == null) {
                    throw new IllegalArgumentException("a missing string in a list");
                }
                out.add(s);
            }
            return out;
        }
    }
}
