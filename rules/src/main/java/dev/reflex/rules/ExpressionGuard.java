package dev.reflex.rules;

import java.util.Set;

/**
 * Admits only the expression subset that rules may use, before MVEL ever sees the text: reading fields of
 * {@code event} and {@code registers} (dot access and {@code [..]} indexing), literals, comparison, boolean and
 * arithmetic operators, and the ternary. Everything else is refused with the position and the reason: names
 * other than those two roots (so no class names, {@code new}, keywords or MVEL's built-ins), calls, assignment,
 * blocks and statements, and reflection through {@code class}.
 *
 * <p>Rules arrive from a Kafka topic, so this check is what stands between a producer and the engine's JVM.
 * MVEL can run code while compiling; the check therefore runs on the source, not on the compiled tree.
 */
public final class ExpressionGuard {
    public static final int MAX_LENGTH = 2_000;
    public static final int MAX_NESTING = 32;

    private static final Set<String> ROOTS = Set.of("event", "registers");
    private static final Set<String> LITERALS = Set.of("true", "false", "null");
    private static final Set<String> FORBIDDEN_PROPERTIES = Set.of("class", "getClass", "classLoader", "declaringClass");

    private ExpressionGuard() {
    }

    /** Throws a {@link RuleException} (field left empty) unless {@code source} is inside the subset. */
    public static void check(String source) {
        if (source == null || source.isBlank()) {
            throw refuse("the expression is empty");
        }
        if (source.length() > MAX_LENGTH) {
            throw refuse("the expression is " + source.length() + " characters long; the limit is " + MAX_LENGTH);
        }
        int depth = 0;
        // What the previous significant token was, to tell a property name from a root name and to spot calls.
        Kind previous = Kind.START;
        int i = 0;
        int n = source.length();
        while (i < n) {
            char c = source.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
                continue;
            }
            int start = i;
            if (c == '\'' || c == '"') {
                i = skipString(source, i);
                previous = Kind.VALUE;
            } else if (Character.isDigit(c)) {
                i = skipNumber(source, i);
                previous = Kind.VALUE;
            } else if (Character.isLetter(c) || c == '_') {
                while (i < n && (Character.isLetterOrDigit(source.charAt(i)) || source.charAt(i) == '_')) {
                    i++;
                }
                String name = source.substring(start, i);
                if (previous == Kind.DOT) {
                    if (FORBIDDEN_PROPERTIES.contains(name)) {
                        throw refuse("'" + name + "' at column " + (start + 1) + " is not allowed: rules cannot reach Java classes");
                    }
                } else if (!ROOTS.contains(name) && !LITERALS.contains(name)) {
                    throw refuse("unknown name '" + name + "' at column " + (start + 1)
                        + ": expressions can read only 'event' and 'registers' (and use true, false, null)");
                }
                previous = Kind.VALUE;
            } else {
                if (source.startsWith("++", i) || source.startsWith("--", i)
                        || (c == '=' && !source.startsWith("==", i)) || (i + 1 < n && source.charAt(i + 1) == '=' && "+-*/%".indexOf(c) >= 0)) {
                    throw refuse("assignment at column " + (start + 1) + " is not allowed: rules only read event and registers");
                }
                String op = operatorAt(source, i);
                if (op == null) {
                    throw refuse("'" + c + "' at column " + (start + 1) + " is not allowed here"
                        + (c == ';' || c == '{' || c == '}' ? ": an expression cannot hold statements or blocks" : ""));
                }
                switch (op) {
                    case "(" -> {
                        if (previous == Kind.VALUE) {
                            throw refuse("a call at column " + (start + 1) + ": calling methods or functions is not allowed");
                        }
                        depth++;
                    }
                    case "[" -> depth++;
                    case ")", "]" -> depth--;
                    default -> {
                    }
                }
                if (depth > MAX_NESTING) {
                    throw refuse("nesting deeper than " + MAX_NESTING + " at column " + (start + 1));
                }
                if (depth < 0) {
                    throw refuse("unbalanced '" + op + "' at column " + (start + 1));
                }
                i += op.length();
                previous = op.equals(".") || op.equals(".?") ? Kind.DOT
                    : op.equals(")") || op.equals("]") ? Kind.VALUE : Kind.OPERATOR;
            }
        }
        if (depth != 0) {
            throw refuse("unbalanced brackets: " + depth + " left open");
        }
        if (previous == Kind.DOT || previous == Kind.OPERATOR) {
            throw refuse("the expression ends with an operator");
        }
    }

    private enum Kind { START, VALUE, DOT, OPERATOR }

    private static final String[] OPERATORS = {
        "==", "!=", "<=", ">=", "&&", "||", ".?",
        "<", ">", "!", "+", "-", "*", "/", "%", "?", ":", "(", ")", "[", "]", ".", ","
    };

    private static String operatorAt(String s, int i) {
        for (String op : OPERATORS) {
            if (s.startsWith(op, i)) {
                return op;
            }
        }
        return null;
    }

    private static int skipString(String s, int i) {
        char quote = s.charAt(i);
        int j = i + 1;
        while (j < s.length()) {
            char c = s.charAt(j);
            if (c == '\\') {
                j += 2;
                continue;
            }
            if (c == quote) {
                return j + 1;
            }
            j++;
        }
        throw refuse("unterminated string starting at column " + (i + 1));
    }

    private static int skipNumber(String s, int i) {
        int j = i;
        while (j < s.length() && Character.isDigit(s.charAt(j))) {
            j++;
        }
        if (j + 1 < s.length() && s.charAt(j) == '.' && Character.isDigit(s.charAt(j + 1))) {
            j++;
            while (j < s.length() && Character.isDigit(s.charAt(j))) {
                j++;
            }
        }
        if (j < s.length() && "lLdDfF".indexOf(s.charAt(j)) >= 0) {
            j++;
        }
        if (j < s.length() && (Character.isLetter(s.charAt(j)) || s.charAt(j) == '_')) {
            throw refuse("malformed number at column " + (i + 1));
        }
        return j;
    }

    private static RuleException refuse(String reason) {
        return new RuleException("", reason);
    }
}
