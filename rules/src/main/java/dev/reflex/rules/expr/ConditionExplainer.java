package dev.reflex.rules.expr;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Says which part of a condition made it false, with the values that part saw: for {@code a && b && c}, the first
 * conjunct that was not true; for {@code a || b}, every alternative; for a comparison, the value of each side that is
 * not a literal. Each part is checked and compiled like a whole condition, so the sandbox holds here too.
 *
 * <p>Used to explain a decision after the fact, never per event in the engine.
 */
public final class ConditionExplainer {
    private static final String[] COMPARISONS = {"==", "!=", "<=", ">="};
    private static final int MAX_VALUE_CHARS = 200;

    private ConditionExplainer() {}

    public static String whyFalse(String condition, Map<String, Object> variables) {
        return explain(unwrap(condition.strip()), variables);
    }

    private static String explain(String part, Map<String, Object> variables) {
        List<String> alternatives = split(part, "||");
        if (alternatives.size() > 1) {
            List<String> reasons = new ArrayList<>();
            for (String alternative : alternatives) {
                reasons.add(explain(unwrap(alternative), variables));
            }
            return "none of the alternatives held: " + String.join("; ", reasons);
        }
        List<String> conjuncts = split(part, "&&");
        if (conjuncts.size() > 1) {
            for (String conjunct : conjuncts) {
                String c = unwrap(conjunct);
                Object value = evaluate(c, variables);
                if (!Boolean.TRUE.equals(value)) {
                    return explain(c, variables);
                }
            }
            return "`" + part + "` was false";
        }
        return leaf(part, variables);
    }

    /** A part that is not a conjunction or disjunction: a comparison, a membership test, a call, a negation. */
    private static String leaf(String part, Map<String, Object> variables) {
        Object whole = evaluate(part, variables);
        if (whole instanceof Failure failure) {
            return "`" + part + "` failed: " + failure.message();
        }
        String head = "`" + part + "` was " + show(whole);
        if (part.startsWith("!") && !part.startsWith("!=")) {
            String inner = unwrap(part.substring(1).strip());
            return head + " (`" + inner + "` was " + show(evaluate(inner, variables)) + ")";
        }
        int[] op = comparison(part);
        if (op == null) {
            return head;
        }
        List<String> seen = new ArrayList<>();
        for (String side :
                List.of(part.substring(0, op[0]).strip(), part.substring(op[1]).strip())) {
            if (!isLiteral(side)) {
                seen.add(side + " = " + show(evaluate(side, variables)));
            }
        }
        return seen.isEmpty() ? head : head + ": " + String.join(", ", seen);
    }

    private record Failure(String message) {}

    private static Object evaluate(String part, Map<String, Object> variables) {
        try {
            return Expression.compile(part).evaluate(variables);
        } catch (RuntimeException e) {
            return new Failure(Expression.firstLine(e.getMessage()));
        }
    }

    static String show(Object value) {
        String text;
        if (value == null) {
            text = "null (missing or unset)";
        } else if (value instanceof Failure failure) {
            text = "an error (" + failure.message() + ")";
        } else if (value instanceof CharSequence s) {
            text = '"' + s.toString().replace("\\", "\\\\").replace("\"", "\\\"") + '"';
        } else {
            text = String.valueOf(value);
        }
        return text.length() > MAX_VALUE_CHARS ? text.substring(0, MAX_VALUE_CHARS) + "..." : text;
    }

    private static boolean isLiteral(String side) {
        if (side.isEmpty()) {
            return true;
        }
        char c = side.charAt(0);
        if ((c == '\'' || c == '"')
                && side.length() > 1
                && side.charAt(side.length() - 1) == c
                && split(side, "+").size() == 1) {
            return true;
        }
        if (side.equals("true") || side.equals("false") || side.equals("null")) {
            return true;
        }
        if (c == '[' && side.endsWith("]") && !side.contains("event") && !side.contains("registers")) {
            return true;
        }
        try {
            Double.parseDouble(side);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** Drops brackets around the whole text: {@code (a && b)} becomes {@code a && b}. */
    private static String unwrap(String part) {
        String p = part;
        while (p.startsWith("(") && p.endsWith(")") && closing(p, 0) == p.length() - 1) {
            p = p.substring(1, p.length() - 1).strip();
        }
        return p;
    }

    private static int closing(String s, int open) {
        return scan(s, open, (i, depth, c) -> (c == ')' || c == ']') && depth == 0 ? i : -1);
    }

    /** What {@link #scan} calls at each position outside strings, with the bracket depth after that position. */
    private interface Visit {
        /** A position to stop at, or -1 to go on. */
        int at(int i, int depth, char c);
    }

    /** Walks {@code s} from {@code from}, skipping string literals, tracking bracket depth; returns where a visit stopped, or -1. */
    private static int scan(String s, int from, Visit visit) {
        int depth = 0;
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                i = stringEnd(s, i);
                continue;
            }
            if (c == '(' || c == '[') {
                depth++;
            } else if (c == ')' || c == ']') {
                depth--;
            }
            int stop = visit.at(i, depth, c);
            if (stop >= 0) {
                return stop;
            }
        }
        return -1;
    }

    private static boolean outside(int depth, char c) {
        return depth == 0 && c != '(' && c != ')' && c != '[' && c != ']';
    }

    /** Splits at {@code op} where it stands outside brackets and strings; a ternary makes the part whole. */
    private static List<String> split(String s, String op) {
        List<String> parts = new ArrayList<>();
        int[] from = {0};
        int ternary = scan(s, 0, (i, depth, c) -> {
            if (!outside(depth, c) || i < from[0]) {
                return -1;
            }
            if (c == '?' && !s.startsWith(".?", i - 1)) {
                return i;
            }
            if (s.startsWith(op, i)) {
                parts.add(s.substring(from[0], i).strip());
                from[0] = i + op.length();
            }
            return -1;
        });
        if (ternary >= 0) {
            return List.of(s);
        }
        parts.add(s.substring(from[0]).strip());
        return parts;
    }

    /** The first comparison or membership operator outside brackets and strings: {start, end}, or null. */
    private static int[] comparison(String s) {
        int at = scan(s, 0, (i, depth, c) -> outside(depth, c) && operatorLength(s, i) > 0 ? i : -1);
        return at < 0 ? null : new int[] {at, at + operatorLength(s, at)};
    }

    private static int operatorLength(String s, int i) {
        for (String op : COMPARISONS) {
            if (s.startsWith(op, i)) {
                return 2;
            }
        }
        char c = s.charAt(i);
        if (c == '<' || c == '>') {
            return 1;
        }
        boolean wordStart = i == 0
                || !Character.isLetterOrDigit(s.charAt(i - 1)) && s.charAt(i - 1) != '_' && s.charAt(i - 1) != '.';
        boolean wordEnd = i + 2 < s.length() && !Character.isLetterOrDigit(s.charAt(i + 2)) && s.charAt(i + 2) != '_';
        return s.startsWith("in", i) && wordStart && wordEnd ? 2 : 0;
    }

    private static int stringEnd(String s, int open) {
        char quote = s.charAt(open);
        for (int j = open + 1; j < s.length(); j++) {
            if (s.charAt(j) == '\\') {
                j++;
            } else if (s.charAt(j) == quote) {
                return j;
            }
        }
        return s.length() - 1;
    }
}
