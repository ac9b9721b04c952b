package dev.reflex.rules.expr;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * Random expressions built from safe and hostile fragments. Whatever the guard admits must, by an independent
 * check of the text handed to MVEL, stay inside the subset; and compiling or evaluating it may fail only with the
 * errors rules are allowed to have.
 */
class ExpressionGuardFuzzTest {
    private static final String[] FRAGMENTS = {
        "event",
        "registers",
        ".",
        ".?",
        "data",
        "cpu",
        "type",
        "subject",
        "labels",
        "(",
        ")",
        "[",
        "]",
        "'x'",
        "\"y\"",
        "'it''s'",
        "1",
        "2.5",
        "10L",
        "==",
        "!=",
        "<",
        ">=",
        "&&",
        "||",
        "!",
        "+",
        "-",
        "*",
        "/",
        "%",
        "?",
        ":",
        ",",
        "in",
        "matches",
        "lower",
        "len",
        "oneOf",
        "contains",
        "jsonpath",
        "now",
        "Runtime",
        "getRuntime",
        "exec",
        "System",
        "exit",
        "new",
        "java",
        "lang",
        "class",
        "getClass",
        "forName",
        "Thread",
        "sleep",
        "__fn",
        "def",
        "while",
        "for",
        "import",
        "with",
        "assert",
        "instanceof",
        "is",
        "empty",
        "=",
        "+=",
        "++",
        ";",
        "{",
        "}",
        "@",
        "#",
        "$",
        "~=",
        "`",
        "\\",
        "'",
        "\"",
        "\\u0027",
        "\u0000",
        "é",
        "nil",
        " ",
        " ",
        " ",
    };
    private static final Set<String> ALLOWED_ROOTS =
            Set.of("event", "registers", "true", "false", "null", ExpressionGuard.FUNCTIONS_VARIABLE);
    private static final Pattern STRINGS = Pattern.compile("'(\\\\.|[^'\\\\])*'|\"(\\\\.|[^\"\\\\])*\"");
    private static final Pattern NAMES =
            Pattern.compile("(\\.\\??)?(?<![\\p{L}\\p{N}_])([\\p{L}_][\\p{L}\\p{N}_]*)(\\s*\\()?");

    @Test
    void whateverTheGuardAdmitsStaysInsideTheSubset() {
        Random random = new Random(20261122L);
        Map<String, Object> variables = new HashMap<>();
        variables.put(
                "event",
                ReadOnlyViews.map(new HashMap<>(
                        Map.of("type", "t", "data", ReadOnlyViews.map(new HashMap<>(Map.of("cpu", 97L)))))));
        variables.put("registers", ReadOnlyViews.registers(name -> "1"));
        variables.put(ExpressionGuard.FUNCTIONS_VARIABLE, new RuleFunctions(0));
        int admitted = 0;
        int refused = 0;
        for (int n = 0; n < 30_000; n++) {
            StringBuilder source = new StringBuilder();
            if (random.nextBoolean()) {
                // a valid expression with a few hostile or stray fragments inserted: the interesting near misses
                source.append(valid(random, 3));
                for (int k = random.nextInt(3); k > 0; k--) {
                    source.insert(random.nextInt(source.length() + 1), FRAGMENTS[random.nextInt(FRAGMENTS.length)]);
                }
            } else {
                int length = 1 + random.nextInt(12);
                for (int i = 0; i < length; i++) {
                    source.append(FRAGMENTS[random.nextInt(FRAGMENTS.length)]);
                    if (random.nextBoolean()) {
                        source.append(' ');
                    }
                }
            }
            String text;
            try {
                text = ExpressionGuard.admit(source.toString());
            } catch (RuleException e) {
                refused++;
                continue;
            }
            admitted++;
            assertInsideSubset(source.toString(), text);
            Expression compiled;
            try {
                compiled = Expression.compile(source.toString());
            } catch (RuleException e) {
                continue;
            }
            try {
                compiled.evaluate(variables);
            } catch (RuntimeException e) {
                // a rule that fails at run time is an ERROR outcome, which is allowed
            }
        }
        assertThat(admitted).as("admitted").isGreaterThan(5_000);
        assertThat(refused).as("refused").isGreaterThan(5_000);
    }

    private static String valid(Random random, int depth) {
        String[] leaves = {
            "event.data.cpu",
            "event.type",
            "registers['k']",
            "registers.k",
            "1",
            "'x'",
            "true",
            "event.data.tags[0]",
            "now()",
            "lower(event.type)",
            "len(event.data)"
        };
        String[] operators = {" == ", " != ", " > ", " && ", " || ", " + ", " * "};
        if (depth == 0 || random.nextInt(3) == 0) {
            return leaves[random.nextInt(leaves.length)];
        }
        return switch (random.nextInt(4)) {
            case 0 -> "(" + valid(random, depth - 1) + ")";
            case 1 -> "!" + valid(random, depth - 1);
            case 2 -> valid(random, depth - 1) + " in [" + valid(random, depth - 1) + ", 'y']";
            default ->
                valid(random, depth - 1) + operators[random.nextInt(operators.length)] + valid(random, depth - 1);
        };
    }

    private static void assertInsideSubset(String source, String text) {
        String code = STRINGS.matcher(text).replaceAll("''");
        assertThat(code)
                .as(source)
                .doesNotContain(";", "{", "}", "@", "#", "$", "~", "`", "\\")
                .doesNotContainPattern("(?<![=!<>])=(?!=)")
                .doesNotContain("++", "--");
        Matcher m = NAMES.matcher(code);
        while (m.find()) {
            String name = m.group(2);
            boolean property = m.group(1) != null;
            boolean call = m.group(3) != null;
            if (property) {
                assertThat(name).as(source).isNotIn("class", "getClass", "classLoader", "declaringClass");
                if (call) {
                    assertThat(code.substring(0, m.start())).as(source).endsWith(ExpressionGuard.FUNCTIONS_VARIABLE);
                    assertThat(RuleFunctions.NAMES).as(source).contains(name);
                }
            } else if (!Character.isDigit(name.charAt(0))) {
                assertThat(ALLOWED_ROOTS).as(source + " -> " + text).contains(name);
                assertThat(call).as(source).isFalse();
            }
        }
    }
}
