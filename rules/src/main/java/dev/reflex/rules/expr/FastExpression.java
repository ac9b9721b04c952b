package dev.reflex.rules.expr;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Pattern;

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

    private static final Pattern NUMBER = Pattern.compile("[0-9]+(\\.[0-9]+)?");
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final int MAX_TOKENS = 200;

    private final Node root;

    private FastExpression(Node root) {
        this.root = root;
    }

    /** The fast form of {@code source}, or null when it is outside the subset. */
    static FastExpression of(String source) {
        List<String> tokens;
        try {
            tokens = ExpressionGuard.tokenTexts(source);
        } catch (RuleException e) {
            return null;
        }
        if (tokens.isEmpty() || tokens.size() > MAX_TOKENS) {
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

    /** The six comparisons, by their text. */
    private enum Operator {
        EQ("=="),
        NE("!="),
        LE("<="),
        GE(">="),
        LT("<"),
        GT(">");

        final String text;

        Operator(String text) {
            this.text = text;
        }
    }

    private record Comparison(Operator operator, Node left, Node right) implements Node {
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
            if (operator == Operator.EQ || operator == Operator.NE) {
                Object equal = equal(l, r);
                if (equal == UNDECIDED) {
                    return UNDECIDED;
                }
                return (operator == Operator.EQ) == (Boolean) equal;
            }
            if (!isNumber(l) || !isNumber(r)) {
                return UNDECIDED;
            }
            Number a = (Number) l;
            Number b = (Number) r;
            boolean whole = !(a instanceof Double) && !(b instanceof Double);
            return switch (operator) {
                case LT -> whole ? a.longValue() < b.longValue() : a.doubleValue() < b.doubleValue();
                case LE -> whole ? a.longValue() <= b.longValue() : a.doubleValue() <= b.doubleValue();
                case GT -> whole ? a.longValue() > b.longValue() : a.doubleValue() > b.doubleValue();
                default -> whole ? a.longValue() >= b.longValue() : a.doubleValue() >= b.doubleValue();
            };
        }

        private static Object equal(Object l, Object r) {
            if (l == null || r == null) {
                Object other = l == null ? r : l;
                return other == null
                        ? Boolean.TRUE
                        : other instanceof String || other instanceof Boolean ? Boolean.FALSE : UNDECIDED;
            }
            if (l instanceof String && r instanceof String || l instanceof Boolean && r instanceof Boolean) {
                return l.equals(r);
            }
            if (isNumber(l) && isNumber(r)) {
                Number a = (Number) l;
                Number b = (Number) r;
                return a instanceof Double || b instanceof Double
                        ? a.doubleValue() == b.doubleValue()
                        : a.longValue() == b.longValue();
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
            return chain("||", this::and);
        }

        Node and() {
            return chain("&&", this::comparison);
        }

        /** {@code operand (operator operand)*}, left to right. */
        private Node chain(String operator, Supplier<Node> operand) {
            Node left = operand.get();
            while (left != null && accept(operator)) {
                Node right = operand.get();
                left = right == null ? null : new Logic(operator.equals("&&"), left, right);
            }
            return left;
        }

        Node comparison() {
            Node left = operand();
            if (left == null) {
                return null;
            }
            for (Operator operator : Operator.values()) {
                if (accept(operator.text)) {
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
                return text(token);
            }
            if (first >= '0' && first <= '9') {
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
                    return ExpressionGuard.ROOTS.contains(token) ? path(token) : null;
            }
        }

        private Node path(String root) {
            List<String> keys = new ArrayList<>();
            while (true) {
                if (accept(".")) {
                    String name = peek();
                    if (name == null
                            || !NAME.matcher(name).matches()
                            || name.equals("true")
                            || name.equals("false")
                            || name.equals("null")) {
                        return null;
                    }
                    position++;
                    keys.add(name);
                } else if (accept("[")) {
                    String key = peek();
                    Node text = key == null || key.charAt(0) != '\'' && key.charAt(0) != '"' ? null : text(key);
                    if (text == null) {
                        return null;
                    }
                    position++;
                    if (!accept("]")) {
                        return null;
                    }
                    keys.add((String) ((Literal) text).constant());
                } else {
                    return new Path(root, keys.toArray(String[]::new));
                }
            }
        }

        /** A quoted text; one with escapes is MVEL's to read. */
        private static Node text(String token) {
            return token.indexOf('\\') >= 0 ? null : new Literal(token.substring(1, token.length() - 1));
        }

        private static Node number(String token) {
            if (!NUMBER.matcher(token).matches()) {
                return null; // 1e3, 10L, 2.5f: MVEL's
            }
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
}
