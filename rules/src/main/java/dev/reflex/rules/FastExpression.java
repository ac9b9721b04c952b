package dev.reflex.rules;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The expressions most rules are made of, evaluated without MVEL: fields of the variables (dot access and
 * {@code ['..']}), text, whole and decimal number, boolean and null literals, the six comparisons, {@code &&},
 * {@code ||} and parentheses, e.g. {@code event.data.cpu > 90 && registers['freeze'] != 'on'} or a template's
 * {@code event.subject}. An expression outside that subset has no fast form ({@link #of} gives null).
 *
 * <p>At run time it decides only what it knows MVEL decides the same way: a field of a read-only view is a key lookup;
 * comparisons of texts with texts, booleans with booleans, numbers (whole or decimal) with numbers, and null against
 * text, boolean or null; {@code &&} and {@code ||} over booleans, left to right, as MVEL skips the right side.
 * Anything else (a field of a text, a number against a text, an ordering against null) is left {@link #UNDECIDED},
 * and the caller evaluates the same expression with MVEL, which gives the value or the error it always gave.
 * {@code FastExpressionTest} holds it to MVEL's answers.
 */
final class FastExpression {
    /** What {@link #evaluate} returns when MVEL must decide. */
    static final Object UNDECIDED = new Object() {
        @Override
        public String toString() {
            return "undecided";
        }
    };

    private static final java.util.Set<String> ROOTS = java.util.Set.of("event", "registers", "correlation", "context",
        "result", "item", "loop");
    private static final int MAX_TOKENS = 200;

    private final Node root;

    private FastExpression(Node root) {
        this.root = root;
    }

    /** The fast form of {@code source}, or null when it is outside the subset. */
    static FastExpression of(String source) {
        List<String> tokens = tokenize(source);
        if (tokens == null || tokens.isEmpty() || tokens.size() > MAX_TOKENS) {
            return null;
        }
        Parser parser = new Parser(tokens);
        Node node = parser.or();
        return node == null || parser.position != tokens.size() ? null : new FastExpression(node);
    }

    /** The value, or {@link #UNDECIDED}. */
    Object evaluate(Map<String, Object> variables) {
        return root.value(variables);
    }

    private interface Node {
        /** The value, or UNDECIDED. */
        Object value(Map<String, Object> variables);
    }

    private record Literal(Object constant) implements Node {
        @Override
        public Object value(Map<String, Object> variables) {
            return constant;
        }
    }

    /** A root variable and the keys read from it in turn. */
    private record Path(String root, String[] keys) implements Node {
        @Override
        public Object value(Map<String, Object> variables) {
            Object value = variables.get(root);
            if (value == null && !variables.containsKey(root)) {
                return UNDECIDED;
            }
            for (String key : keys) {
                // only the read-only views are key lookups for MVEL (ReadOnlyViews); anything else is its business
                if (!(value instanceof ReadOnlyViews.KeyedView view)) {
                    return UNDECIDED;
                }
                value = view.get(key);
            }
            return value;
        }
    }

    private record Logic(boolean and, Node left, Node right) implements Node {
        @Override
        public Object value(Map<String, Object> variables) {
            Object l = left.value(variables);
            if (!(l instanceof Boolean lb)) {
                return UNDECIDED;
            }
            if (lb != and) {
                return lb; // false && .. is false, true || .. is true: MVEL does not look further either
            }
            Object r = right.value(variables);
            return r instanceof Boolean ? r : UNDECIDED;
        }
    }

    private record Comparison(String operator, Node left, Node right) implements Node {
        @Override
        public Object value(Map<String, Object> variables) {
            Object l = left.value(variables);
            if (l == UNDECIDED) {
                return UNDECIDED;
            }
            Object r = right.value(variables);
            if (r == UNDECIDED) {
                return UNDECIDED;
            }
            if (operator.equals("==") || operator.equals("!=")) {
                Object equal = equal(l, r);
                if (equal == UNDECIDED) {
                    return UNDECIDED;
                }
                return operator.equals("==") == (Boolean) equal;
            }
            if (!isNumber(l) || !isNumber(r)) {
                return UNDECIDED;
            }
            Number a = (Number) l;
            Number b = (Number) r;
            boolean whole = !(a instanceof Double) && !(b instanceof Double);
            return switch (operator) {
                case "<" -> whole ? a.longValue() < b.longValue() : a.doubleValue() < b.doubleValue();
                case "<=" -> whole ? a.longValue() <= b.longValue() : a.doubleValue() <= b.doubleValue();
                case ">" -> whole ? a.longValue() > b.longValue() : a.doubleValue() > b.doubleValue();
                default -> whole ? a.longValue() >= b.longValue() : a.doubleValue() >= b.doubleValue();
            };
        }

        private static Object equal(Object l, Object r) {
            if (l == null || r == null) {
                Object other = l == null ? r : l;
                return other == null ? Boolean.TRUE : other instanceof String || other instanceof Boolean ? Boolean.FALSE : UNDECIDED;
            }
            if (l instanceof String && r instanceof String || l instanceof Boolean && r instanceof Boolean) {
                return l.equals(r);
            }
            if (isNumber(l) && isNumber(r)) {
                Number a = (Number) l;
                Number b = (Number) r;
                return a instanceof Double || b instanceof Double ? a.doubleValue() == b.doubleValue() : a.longValue() == b.longValue();
            }
            return UNDECIDED;
        }

        private static boolean isNumber(Object value) {
            return value instanceof Integer || value instanceof Long || value instanceof Double;
        }
    }

    /** Recursive descent over the tokens; each method gives null when the text is outside the subset. */
    private static final class Parser {
        private final List<String> tokens;
        private int position;
        private int depth;

        Parser(List<String> tokens) {
            this.tokens = tokens;
        }

        Node or() {
            Node left = and();
            while (left != null && accept("||")) {
                Node right = and();
                left = right == null ? null : new Logic(false, left, right);
            }
            return left;
        }

        Node and() {
            Node left = comparison();
            while (left != null && accept("&&")) {
                Node right = comparison();
                left = right == null ? null : new Logic(true, left, right);
            }
            return left;
        }

        Node comparison() {
            Node left = operand();
            if (left == null) {
                return null;
            }
            for (String operator : new String[] {"==", "!=", "<=", ">=", "<", ">"}) {
                if (accept(operator)) {
                    Node right = operand();
                    return right == null ? null : new Comparison(operator, left, right);
                }
            }
            return left;
        }

        Node operand() {
            String token = peek();
            if (token == null) {
                return null;
            }
            if (token.equals("(")) {
                if (++depth > ExpressionGuard.MAX_NESTING) {
                    return null;
                }
                position++;
                Node inner = or();
                depth--;
                return inner != null && accept(")") ? inner : null;
            }
            position++;
            char first = token.charAt(0);
            if (first == '\'' || first == '"') {
                return new Literal(token.substring(1, token.length() - 1));
            }
            if (Character.isDigit(first)) {
                return number(token);
            }
            switch (token) {
                case "true":
                    return new Literal(Boolean.TRUE);
                case "false":
                    return new Literal(Boolean.FALSE);
                case "null":
                    return new Literal(null);
                default:
                    return ROOTS.contains(token) ? path(token) : null;
            }
        }

        private Node path(String root) {
            List<String> keys = new ArrayList<>();
            while (true) {
                if (accept(".")) {
                    String name = peek();
                    if (name == null || !Character.isJavaIdentifierStart(name.charAt(0)) || name.equals("true")
                        || name.equals("false") || name.equals("null")) {
                        return null;
                    }
                    position++;
                    keys.add(name);
                } else if (accept("[")) {
                    String key = peek();
                    if (key == null || key.charAt(0) != '\'' && key.charAt(0) != '"') {
                        return null;
                    }
                    position++;
                    if (!accept("]")) {
                        return null;
                    }
                    keys.add(key.substring(1, key.length() - 1));
                } else {
                    return new Path(root, keys.toArray(String[]::new));
                }
            }
        }

        private static Node number(String token) {
            if (token.indexOf('.') >= 0) {
                return new Literal(Double.parseDouble(token));
            }
            // a leading zero is octal to MVEL; long literals are its business too
            if (token.length() > 1 && token.charAt(0) == '0' || token.length() > 9) {
                return null;
            }
            return new Literal(Integer.parseInt(token));
        }

        private String peek() {
            return position < tokens.size() ? tokens.get(position) : null;
        }

        private boolean accept(String token) {
            if (token.equals(peek())) {
                position++;
                return true;
            }
            return false;
        }
    }

    /** Names, numbers, quoted texts without escapes and the operators of the subset; null for anything else. */
    private static List<String> tokenize(String source) {
        List<String> tokens = new ArrayList<>();
        int i = 0;
        while (i < source.length()) {
            char c = source.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (Character.isJavaIdentifierStart(c) && c != '$') {
                int end = i + 1;
                while (end < source.length() && Character.isJavaIdentifierPart(source.charAt(end)) && source.charAt(end) != '$') {
                    end++;
                }
                tokens.add(source.substring(i, end));
                i = end;
            } else if (c >= '0' && c <= '9') {
                int end = i + 1;
                while (end < source.length() && source.charAt(end) >= '0' && source.charAt(end) <= '9') {
                    end++;
                }
                if (end + 1 < source.length() && source.charAt(end) == '.' && Character.isDigit(source.charAt(end + 1))) {
                    end += 2;
                    while (end < source.length() && source.charAt(end) >= '0' && source.charAt(end) <= '9') {
                        end++;
                    }
                }
                // 1e3, 10L, 2.5f, 0x1F: MVEL's
                if (end < source.length() && Character.isLetterOrDigit(source.charAt(end))) {
                    return null;
                }
                tokens.add(source.substring(i, end));
                i = end;
            } else if (c == '\'' || c == '"') {
                int end = source.indexOf(c, i + 1);
                if (end < 0 || source.substring(i + 1, end).indexOf('\\') >= 0) {
                    return null;
                }
                tokens.add(source.substring(i, end + 1));
                i = end + 1;
            } else {
                String two = i + 1 < source.length() ? source.substring(i, i + 2) : "";
                if (two.equals("==") || two.equals("!=") || two.equals("<=") || two.equals(">=") || two.equals("&&")
                    || two.equals("||")) {
                    tokens.add(two);
                    i += 2;
                } else if (two.equals(".?")) {
                    return null;
                } else if ("<>()[].".indexOf(c) >= 0) {
                    tokens.add(String.valueOf(c));
                    i++;
                } else {
                    return null;
                }
            }
        }
        return tokens;
    }
}
