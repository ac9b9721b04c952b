package dev.reflex.rules.expr;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import com.google.re2j.PatternSyntaxException;

/**
 * The functions a rule expression may call, and nothing else: {@link ExpressionGuard} admits a call only to a name in
 * {@link #NAMES}. Every function is pure and bounded: regular expressions run on RE2J (linear time, no
 * backtracking), outputs are capped, and nothing reads the clock except {@link #now()}, which returns the evaluation
 * time the engine records in the decision.
 */
public final class RuleFunctions {
    public static final Set<String> NAMES = Set.of(
            "matches",
            "glob",
            "cidr",
            "lower",
            "upper",
            "trim",
            "startsWith",
            "endsWith",
            "contains",
            "len",
            "split",
            "replace",
            "substring",
            "str",
            "num",
            "coalesce",
            "now",
            "parseTime",
            "formatTime",
            "seconds",
            "minutes",
            "hours",
            "days",
            "jsonpath",
            "oneOf");

    static final int MAX_PATTERN = 512;
    static final int MAX_OUTPUT = Template.MAX_OUTPUT;
    private static final int MAX_CACHED_PATTERNS = 10_000;
    private static final Map<String, com.google.re2j.Pattern> PATTERNS = new ConcurrentHashMap<>();
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]+");

    private final long now;

    public RuleFunctions(long now) {
        this.now = now;
    }

    /** Whether {@code regex} (RE2 syntax) matches anywhere in {@code text}. */
    public boolean matches(Object text, Object regex) {
        if (text == null) {
            return false;
        }
        String pattern = string(regex, "matches");
        if (pattern.length() > MAX_PATTERN) {
            throw new IllegalArgumentException("matches: the pattern is longer than " + MAX_PATTERN + " characters");
        }
        com.google.re2j.Pattern compiled = PATTERNS.get(pattern);
        if (compiled == null) {
            try {
                compiled = com.google.re2j.Pattern.compile(pattern);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("matches: invalid pattern: " + e.getMessage());
            }
            if (PATTERNS.size() < MAX_CACHED_PATTERNS) {
                PATTERNS.put(pattern, compiled);
            }
        }
        return compiled.matcher(text.toString()).find();
    }

    /** Shell-style match of the whole text: {@code *} any run, {@code ?} one character. Linear time. */
    public boolean glob(Object text, Object pattern) {
        if (text == null) {
            return false;
        }
        String s = text.toString();
        String p = string(pattern, "glob");
        int si = 0;
        int pi = 0;
        int star = -1;
        int mark = 0;
        while (si < s.length()) {
            if (pi < p.length() && (p.charAt(pi) == '?' || p.charAt(pi) == s.charAt(si))) {
                si++;
                pi++;
            } else if (pi < p.length() && p.charAt(pi) == '*') {
                star = pi++;
                mark = si;
            } else if (star >= 0) {
                pi = star + 1;
                si = ++mark;
            } else {
                return false;
            }
        }
        while (pi < p.length() && p.charAt(pi) == '*') {
            pi++;
        }
        return pi == p.length();
    }

    /** Whether the IP address {@code address} lies in {@code network} ("10.0.0.0/8", "2001:db8::/32"). Never looks up names. */
    public boolean cidr(Object address, Object network) {
        if (address == null) {
            return false;
        }
        String net = string(network, "cidr");
        int slash = net.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("cidr: '" + net + "' is not a network like 10.0.0.0/8");
        }
        byte[] ip = literalAddress(address.toString(), "cidr");
        byte[] base = literalAddress(net.substring(0, slash), "cidr");
        if (ip.length != base.length) {
            return false;
        }
        int bits;
        try {
            bits = Integer.parseInt(net.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("cidr: bad prefix length in '" + net + "'");
        }
        if (bits < 0 || bits > ip.length * 8) {
            throw new IllegalArgumentException("cidr: bad prefix length in '" + net + "'");
        }
        BigInteger mask = bits == 0
                ? BigInteger.ZERO
                : BigInteger.ONE
                        .shiftLeft(ip.length * 8)
                        .subtract(BigInteger.ONE)
                        .shiftRight(ip.length * 8 - bits)
                        .shiftLeft(ip.length * 8 - bits);
        return new BigInteger(1, ip).and(mask).equals(new BigInteger(1, base).and(mask));
    }

    private static byte[] literalAddress(String text, String function) {
        // Only literals reach InetAddress, so it never resolves a host name.
        if (!(IPV4.matcher(text).matches()
                || text.contains(":") && IPV6.matcher(text).matches())) {
            throw new IllegalArgumentException(function + ": '" + text + "' is not an IP address");
        }
        try {
            return InetAddress.getByName(text).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(function + ": '" + text + "' is not an IP address");
        }
    }

    public String lower(Object text) {
        return text == null ? null : text.toString().toLowerCase(Locale.ROOT);
    }

    public String upper(Object text) {
        return text == null ? null : text.toString().toUpperCase(Locale.ROOT);
    }

    public String trim(Object text) {
        return text == null ? null : text.toString().strip();
    }

    public boolean startsWith(Object text, Object prefix) {
        return text != null && text.toString().startsWith(string(prefix, "startsWith"));
    }

    public boolean endsWith(Object text, Object suffix) {
        return text != null && text.toString().endsWith(string(suffix, "endsWith"));
    }

    /** Substring of a text, element of a list, or key of a map. */
    public boolean contains(Object container, Object item) {
        if (container == null) {
            return false;
        }
        if (container instanceof Map<?, ?> map) {
            return item != null && map.get(item.toString()) != null;
        }
        if (container instanceof Collection<?> collection) {
            return oneOf(item, collection);
        }
        return item != null && container.toString().contains(item.toString());
    }

    /** Length of a text, or size of a list or map; 0 for null. */
    public long len(Object value) {
        if (value == null) {
            return 0;
        }
        if (value instanceof Collection<?> c) {
            return c.size();
        }
        if (value instanceof Map<?, ?> m) {
            return m.entrySet().size();
        }
        return value.toString().length();
    }

    /** Splits on a literal separator (not a pattern), at most 1,000 parts. */
    public List<String> split(Object text, Object separator) {
        if (text == null) {
            return List.of();
        }
        String sep = string(separator, "split");
        if (sep.isEmpty()) {
            throw new IllegalArgumentException("split: the separator is empty");
        }
        List<String> parts = new ArrayList<>();
        String s = text.toString();
        int from = 0;
        while (parts.size() < 999) {
            int at = s.indexOf(sep, from);
            if (at < 0) {
                break;
            }
            parts.add(s.substring(from, at));
            from = at + sep.length();
        }
        parts.add(s.substring(from));
        return Collections.unmodifiableList(parts);
    }

    /** Replaces every occurrence of a literal text. */
    public String replace(Object text, Object target, Object replacement) {
        if (text == null) {
            return null;
        }
        String t = string(target, "replace");
        if (t.isEmpty()) {
            throw new IllegalArgumentException("replace: the text to replace is empty");
        }
        String r = replacement == null ? "" : replacement.toString();
        String s = text.toString();
        long occurrences = (s.length() - s.replace(t, "").length()) / t.length();
        if (s.length() + occurrences * (r.length() - t.length()) > MAX_OUTPUT) {
            throw new IllegalArgumentException("replace: the result would exceed " + MAX_OUTPUT + " characters");
        }
        return s.replace(t, r);
    }

    /** Characters from {@code from} (inclusive) to {@code to} (exclusive), clamped to the text. */
    public String substring(Object text, Object from, Object to) {
        if (text == null) {
            return null;
        }
        String s = text.toString();
        int start =
                (int) Math.max(0, Math.min(s.length(), number(from, "substring").longValue()));
        int end = (int)
                Math.max(start, Math.min(s.length(), number(to, "substring").longValue()));
        return s.substring(start, end);
    }

    public String str(Object value) {
        return value == null ? null : value.toString();
    }

    /** A number from a number or a text (register values are texts); null when it is not one. */
    public Number num(Object value) {
        if (value == null) {
            return null;
        }
        if (value instanceof Number n) {
            return n;
        }
        String s = value.toString().strip();
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            try {
                return Double.parseDouble(s);
            } catch (NumberFormatException e2) {
                return null;
            }
        }
    }

    public Object coalesce(Object value, Object fallback) {
        return value != null ? value : fallback;
    }

    /** The evaluation time in epoch milliseconds (recorded in the decision as decidedAt). */
    public long now() {
        return now;
    }

    /** Epoch milliseconds of an RFC 3339 time such as 2026-01-31T12:00:00Z. */
    public long parseTime(Object text) {
        String s = string(text, "parseTime");
        try {
            return OffsetDateTime.parse(s).toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("parseTime: '" + s + "' is not an RFC 3339 time");
        }
    }

    /** RFC 3339 (UTC) text of epoch milliseconds. */
    public String formatTime(Object epochMillis) {
        return Instant.ofEpochMilli(number(epochMillis, "formatTime").longValue())
                .toString();
    }

    public long seconds(Object n) {
        return Math.round(number(n, "seconds").doubleValue() * 1_000);
    }

    public long minutes(Object n) {
        return Math.round(number(n, "minutes").doubleValue() * 60_000);
    }

    public long hours(Object n) {
        return Math.round(number(n, "hours").doubleValue() * 3_600_000);
    }

    public long days(Object n) {
        return Math.round(number(n, "days").doubleValue() * 86_400_000);
    }

    /**
     * A value inside JSON data by path: {@code jsonpath(event.data, '$.alerts[0].labels.severity')}, keys by
     * {@code .name} or {@code ['name']}, list items by {@code [n]}. Null where the path leads nowhere.
     */
    public Object jsonpath(Object data, Object path) {
        String p = string(path, "jsonpath");
        if (!p.startsWith("$")) {
            throw new IllegalArgumentException("jsonpath: a path starts with $, e.g. $.alerts[0].status");
        }
        Object current = data;
        int i = 1;
        while (i < p.length() && current != null) {
            char c = p.charAt(i);
            if (c == '.') {
                int end = i + 1;
                while (end < p.length() && p.charAt(end) != '.' && p.charAt(end) != '[') {
                    end++;
                }
                current = current instanceof Map<?, ?> map ? map.get(p.substring(i + 1, end)) : null;
                i = end;
            } else if (c == '[') {
                int close = p.indexOf(']', i);
                if (close < 0) {
                    throw new IllegalArgumentException("jsonpath: unclosed '[' in " + p);
                }
                String inside = p.substring(i + 1, close).strip();
                if (inside.startsWith("'") && inside.endsWith("'") && inside.length() >= 2) {
                    current =
                            current instanceof Map<?, ?> map ? map.get(inside.substring(1, inside.length() - 1)) : null;
                } else {
                    int index;
                    try {
                        index = Integer.parseInt(inside);
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException(
                                "jsonpath: '[" + inside + "]' is neither an index nor a quoted key");
                    }
                    current = current instanceof List<?> list && index >= 0 && index < list.size()
                            ? list.get(index)
                            : null;
                }
                i = close + 1;
            } else {
                throw new IllegalArgumentException("jsonpath: unexpected '" + c + "' at " + (i + 1) + " in " + p);
            }
        }
        return current;
    }

    /** Membership, as written {@code x in [a, b]}: equal values, with numbers compared by value. */
    public boolean oneOf(Object item, Object candidates) {
        if (!(candidates instanceof Collection<?> collection)) {
            throw new IllegalArgumentException(
                    "'in' needs a list on its right, got " + (candidates == null ? "null" : "a value"));
        }
        for (Object candidate : collection) {
            if (same(item, candidate)) {
                return true;
            }
        }
        return false;
    }

    private static boolean same(Object a, Object b) {
        if (a instanceof Number x && b instanceof Number y) {
            return x.doubleValue() == y.doubleValue();
        }
        return Objects.equals(a, b);
    }

    private static String string(Object value, String function) {
        if (value == null) {
            throw new IllegalArgumentException(function + ": an argument is null");
        }
        return value.toString();
    }

    private static Number number(Object value, String function) {
        if (value == null) {
            throw new IllegalArgumentException(function + ": an argument is null");
        }
        if (value instanceof Number n) {
            return n;
        }
        try {
            return Double.parseDouble(value.toString());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(function + ": '" + value + "' is not a number");
        }
    }
}
