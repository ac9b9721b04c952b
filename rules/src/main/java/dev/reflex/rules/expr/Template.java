package dev.reflex.rules.expr;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Text with {@code ${expression}} parts, each a guarded expression; {@code $${} writes a literal {@code ${}.
 * Deliberately not MVEL's template language, which has loops and code blocks.
 */
public final class Template {
    static final int MAX_OUTPUT = 64 * 1024;

    private final List<Object> parts;

    private Template(List<Object> parts) {
        this.parts = parts;
    }

    public static Template compile(String text) {
        List<Object> parts = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        int i = 0;
        while (i < text.length()) {
            if (text.startsWith("$${", i)) {
                literal.append("${");
                i += 3;
            } else if (text.startsWith("${", i)) {
                int end = closingBrace(text, i + 2);
                if (end < 0) {
                    throw new RuleException("", "unclosed '${' at column " + (i + 1));
                }
                if (literal.length() > 0) {
                    parts.add(literal.toString());
                    literal.setLength(0);
                }
                try {
                    parts.add(Expression.compile(text.substring(i + 2, end)));
                } catch (RuleException e) {
                    throw new RuleException("", "in '${...}' at column " + (i + 1) + ": " + e.reason());
                }
                i = end + 1;
            } else {
                literal.append(text.charAt(i++));
            }
        }
        if (literal.length() > 0) {
            parts.add(literal.toString());
        }
        return new Template(List.copyOf(parts));
    }

    private static int closingBrace(String text, int from) {
        char quote = 0;
        for (int i = from; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quote != 0) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '}') {
                return i;
            }
        }
        return -1;
    }

    /** The variables its expressions read. */
    public Set<String> roots() {
        Set<String> roots = new TreeSet<>();
        for (Object part : parts) {
            if (part instanceof Expression expression) {
                roots.addAll(expression.roots());
            }
        }
        return roots;
    }

    public String render(Map<String, Object> variables) {
        if (parts.size() == 1 && parts.get(0) instanceof Expression only) {
            // the common "${event.subject}": the value's text, without a builder
            Object value = only.evaluate(variables);
            String text = value == null ? "" : value.toString();
            if (text.length() > MAX_OUTPUT) {
                throw new IllegalStateException("template output exceeds " + MAX_OUTPUT + " characters");
            }
            return text;
        }
        StringBuilder out = new StringBuilder();
        for (Object part : parts) {
            if (part instanceof Expression expression) {
                Object value = expression.evaluate(variables);
                if (value != null) {
                    out.append(value);
                }
            } else {
                out.append((String) part);
            }
            if (out.length() > MAX_OUTPUT) {
                throw new IllegalStateException("template output exceeds " + MAX_OUTPUT + " characters");
            }
        }
        return out.toString();
    }
}
