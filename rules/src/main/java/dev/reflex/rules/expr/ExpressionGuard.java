package dev.reflex.rules.expr;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Admits only the expression subset that rules may use, before MVEL ever sees the text: reading fields of
 * {@code event} and {@code registers} (dot access and {@code [..]} indexing), literals and list literals, comparison,
 * boolean and arithmetic operators, the ternary, {@code x in [..]}, and calls to the functions of
 * {@link RuleFunctions}. Everything else is refused with the position and the reason: other names (so no class
 * names, {@code new}, keywords or MVEL's built-ins), method calls, assignment, blocks and statements, and reflection
 * through {@code class}.
 *
 * <p>Rules arrive from a Kafka topic, so this check is what stands between a producer and the engine's JVM. MVEL can
 * run code while compiling; the check therefore runs on the source, not on the compiled tree. What it admits it
 * rewrites: a function call {@code f(..)} becomes a call on a receiver that user text cannot name, and
 * {@code x in list} becomes a membership call.
 */
public final class ExpressionGuard {
    public static final int MAX_LENGTH = 2_000;
    public static final int MAX_NESTING = 32;
    /** The variable that holds the function library; not a name user text can write. */
    public static final String FUNCTIONS_VARIABLE = "__fn";

    /** The variables expressions may read. */
    static final Set<String> ROOTS = Set.of("event", "registers", "correlation", "context", "result", "item", "loop");

    private static final Set<String> LITERALS = Set.of("true", "false", "null");
    private static final Set<String> FORBIDDEN_PROPERTIES =
            Set.of("class", "getClass", "classLoader", "declaringClass");
    private static final String[] OPERATORS = {
        "==", "!=", "<=", ">=", "&&", "||", ".?", "<", ">", "!", "+", "-", "*", "/", "%", "?", ":", "(", ")", "[", "]",
        ".", ","
    };

    private enum Kind {
        STRING,
        NUMBER,
        NAME,
        FUNCTION,
        IN,
        OPERATOR,
        VALUE
    }

    private record Token(Kind kind, String text, int column) {
        boolean is(String op) {
            return kind == Kind.OPERATOR && text.equals(op);
        }

        /** Can end an operand: a name, a literal, a closing bracket, or an already rewritten part. */
        boolean endsOperand() {
            return kind == Kind.NAME
                    || kind == Kind.STRING
                    || kind == Kind.NUMBER
                    || kind == Kind.VALUE
                    || is(")")
                    || is("]");
        }
    }

    private ExpressionGuard() {}

    /** Throws a {@link RuleException} (field left empty) unless {@code source} is inside the subset. */
    public static void check(String source) {
        admit(source);
    }

    /** The variables an admitted expression reads (event, registers, correlation, context, ...). */
    static Set<String> roots(String source) {
        List<Token> tokens = tokenize(source);
        Set<String> roots = new TreeSet<>();
        for (int i = 0; i < tokens.size(); i++) {
            Token t = tokens.get(i);
            Token previous = i == 0 ? null : tokens.get(i - 1);
            boolean afterDot = previous != null && (previous.is(".") || previous.is(".?"));
            if (t.kind() == Kind.NAME && !afterDot && ROOTS.contains(t.text())) {
                roots.add(t.text());
            }
        }
        return roots;
    }

    /** Checks {@code source} and returns the text to hand to MVEL. */
    static String admit(String source) {
        if (source == null || source.isBlank()) {
            throw refuse("the expression is empty");
        }
        if (source.length() > MAX_LENGTH) {
            throw refuse("the expression is " + source.length() + " characters long; the limit is " + MAX_LENGTH);
        }
        List<Token> tokens = tokenize(source);
        validate(tokens);
        rewriteIn(tokens);
        return join(tokens, 0, tokens.size() - 1);
    }

    /** Tokens back to text: a space between tokens, none around dots or before a call's or an index's bracket, which MVEL needs. */
    private static String join(List<Token> tokens, int from, int to) {
        StringBuilder out = new StringBuilder();
        for (int k = from; k <= to; k++) {
            Token t = tokens.get(k);
            boolean dot = t.is(".") || t.is(".?");
            boolean afterDot =
                    k > from && (tokens.get(k - 1).is(".") || tokens.get(k - 1).is(".?"));
            boolean callOpen = k > from
                    && (t.is("(") && tokens.get(k - 1).kind() == Kind.FUNCTION
                            || t.is("[") && tokens.get(k - 1).endsOperand());
            if (k > from && !dot && !afterDot && !callOpen) {
                out.append(' ');
            }
            out.append(t.kind() == Kind.FUNCTION ? FUNCTIONS_VARIABLE + "." + t.text() : t.text());
        }
        return out.toString();
    }

    /** The texts of {@code source}'s tokens as the guard splits it (texts with their quotes); a RuleException when it cannot. */
    static List<String> tokenTexts(String source) {
        return tokenize(source).stream().map(Token::text).toList();
    }

    private static List<Token> tokenize(String s) {
        List<Token> tokens = new ArrayList<>();
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
                continue;
            }
            int start = i;
            if (c == '\'' || c == '"') {
                i = skipString(s, i);
                tokens.add(new Token(Kind.STRING, s.substring(start, i), start + 1));
            } else if (Character.isDigit(c)) {
                i = skipNumber(s, i);
                tokens.add(new Token(Kind.NUMBER, s.substring(start, i), start + 1));
            } else if (Character.isLetter(c) || c == '_') {
                while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_')) {
                    i++;
                }
                tokens.add(new Token(Kind.NAME, s.substring(start, i), start + 1));
            } else {
                if (s.startsWith("++", i)
                        || s.startsWith("--", i)
                        || (c == '=' && !s.startsWith("==", i))
                        || (i + 1 < s.length() && s.charAt(i + 1) == '=' && "+-*/%".indexOf(c) >= 0)) {
                    throw refuse("assignment at column " + (start + 1)
                            + " is not allowed: rules only read event and registers");
                }
                String op = null;
                for (String candidate : OPERATORS) {
                    if (s.startsWith(candidate, i)) {
                        op = candidate;
                        break;
                    }
                }
                if (op == null) {
                    throw refuse("'" + c + "' at column " + (start + 1) + " is not allowed here"
                            + (c == ';' || c == '{' || c == '}'
                                    ? ": an expression cannot hold statements or blocks"
                                    : ""));
                }
                i += op.length();
                tokens.add(new Token(Kind.OPERATOR, op, start + 1));
            }
        }
        return tokens;
    }

    private static void validate(List<Token> tokens) {
        int depth = 0;
        for (int i = 0; i < tokens.size(); i++) {
            Token t = tokens.get(i);
            Token previous = i == 0 ? null : tokens.get(i - 1);
            Token next = i + 1 < tokens.size() ? tokens.get(i + 1) : null;
            boolean afterDot = previous != null && (previous.is(".") || previous.is(".?"));
            if ((t.is(".") || t.is(".?"))
                    && (previous == null || !previous.endsOperand() || next == null || next.kind() != Kind.NAME)) {
                throw refuse(
                        "'" + t.text() + "' at column " + t.column() + " must stand between a value and a field name");
            }
            if (!afterDot
                    && previous != null
                    && previous.endsOperand()
                    && (t.kind() == Kind.STRING
                            || t.kind() == Kind.NUMBER
                            || t.kind() == Kind.NAME && !t.text().equals("in"))) {
                throw refuse("an operator is missing before column " + t.column());
            }
            if (t.kind() == Kind.NAME) {
                String name = t.text();
                if (afterDot) {
                    if (FORBIDDEN_PROPERTIES.contains(name)) {
                        throw refuse("'" + name + "' at column " + t.column()
                                + " is not allowed: rules cannot reach Java classes");
                    }
                    if (next != null && next.is("(")) {
                        throw refuse("a call at column " + next.column() + ": calling methods is not allowed; "
                                + "use the functions of the rule language, e.g. lower(x) instead of x.toLowerCase()");
                    }
                } else if (next != null && next.is("(") && RuleFunctions.NAMES.contains(name)) {
                    tokens.set(i, new Token(Kind.FUNCTION, name, t.column()));
                } else if (name.equals("in") && previous != null && previous.endsOperand() && next != null) {
                    tokens.set(i, new Token(Kind.IN, name, t.column()));
                } else if (!ROOTS.contains(name) && !LITERALS.contains(name)) {
                    throw refuse(
                            "unknown name '" + name + "' at column " + t.column()
                                    + (next != null && next.is("(")
                                            ? ": not a function of the rule language ("
                                                    + String.join(
                                                            ", ",
                                                            RuleFunctions.NAMES.stream()
                                                                    .sorted()
                                                                    .toList()) + ")"
                                            : ": expressions can read only 'event', 'registers' and, in a correlation rule, 'correlation', in a flow, 'context', 'result', 'item' and 'loop' (and use true, false, null)"));
                }
            } else if (t.is("(")) {
                if (previous != null && previous.endsOperand() && previous.kind() != Kind.FUNCTION) {
                    throw refuse(
                            "a call at column " + t.column() + ": calling methods or functions is not allowed here");
                }
                depth++;
            } else if (t.is("[")) {
                depth++;
            } else if (t.is(")") || t.is("]")) {
                depth--;
            }
            if (depth > MAX_NESTING) {
                throw refuse("nesting deeper than " + MAX_NESTING + " at column " + t.column());
            }
            if (depth < 0) {
                throw refuse("unbalanced '" + t.text() + "' at column " + t.column());
            }
        }
        if (depth != 0) {
            throw refuse("unbalanced brackets: " + depth + " left open");
        }
        Token last = tokens.get(tokens.size() - 1);
        if (!last.endsOperand()) {
            throw refuse("the expression ends with an operator");
        }
    }

    /** {@code a in b} becomes {@code __fn.oneOf(a, b)}, with the tightest operands on either side (use brackets for more). */
    private static void rewriteIn(List<Token> tokens) {
        while (true) {
            // innermost first, so an 'in' inside an operand is rewritten before the operand is copied
            int at = -1;
            int atDepth = -1;
            int depth = 0;
            for (int i = 0; i < tokens.size(); i++) {
                Token t = tokens.get(i);
                if (t.is("(") || t.is("[")) {
                    depth++;
                } else if (t.is(")") || t.is("]")) {
                    depth--;
                } else if (t.kind() == Kind.IN && depth >= atDepth) {
                    at = i;
                    atDepth = depth;
                }
            }
            if (at < 0) {
                return;
            }
            int from = operandStart(tokens, at - 1);
            int to = operandEnd(tokens, at + 1);
            String text = "(" + FUNCTIONS_VARIABLE + ".oneOf(" + join(tokens, from, at - 1) + ", "
                    + join(tokens, at + 1, to) + "))";
            int column = tokens.get(from).column();
            tokens.subList(from, to + 1).clear();
            tokens.add(from, new Token(Kind.VALUE, text, column));
        }
    }

    private static int operandStart(List<Token> tokens, int end) {
        int i = end;
        while (true) {
            Token t = tokens.get(i);
            if (t.is(")") || t.is("]")) {
                int open = matching(tokens, i, -1);
                if (open > 0
                        && (tokens.get(open - 1).kind() == Kind.FUNCTION
                                || t.is("]") && tokens.get(open - 1).endsOperand())) {
                    i = open - 1;
                    if (tokens.get(i).kind() == Kind.FUNCTION) {
                        return i;
                    }
                    continue;
                }
                i = open;
            }
            if (i >= 2 && (tokens.get(i - 1).is(".") || tokens.get(i - 1).is(".?"))) {
                i -= 2;
                continue;
            }
            return i;
        }
    }

    private static int operandEnd(List<Token> tokens, int start) {
        int i = start;
        Token t = tokens.get(i);
        if (t.is("(") || t.is("[")) {
            i = matching(tokens, i, 1);
        } else if (t.kind() == Kind.FUNCTION) {
            i = matching(tokens, i + 1, 1);
        } else if (!t.endsOperand()) {
            throw refuse("'in' at column " + t.column() + " needs a list or a field after it");
        }
        while (i + 1 < tokens.size()) {
            Token next = tokens.get(i + 1);
            if ((next.is(".") || next.is(".?")) && i + 2 < tokens.size()) {
                i += 2;
            } else if (next.is("[")) {
                i = matching(tokens, i + 1, 1);
            } else {
                break;
            }
        }
        return i;
    }

    private static int matching(List<Token> tokens, int from, int step) {
        int depth = 0;
        for (int i = from; i >= 0 && i < tokens.size(); i += step) {
            Token t = tokens.get(i);
            if (t.is("(") || t.is("[")) {
                depth += step;
            } else if (t.is(")") || t.is("]")) {
                depth -= step;
            }
            if (depth == 0) {
                return i;
            }
        }
        throw refuse("unbalanced brackets");
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
