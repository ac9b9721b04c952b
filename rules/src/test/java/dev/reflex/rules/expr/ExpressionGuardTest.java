package dev.reflex.rules.expr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ExpressionGuardTest {

    @ParameterizedTest
    @ValueSource(
            strings = {
                "event.data.cpu > 90 && event.source == 'monitoring'",
                "registers['change-freeze'] != 'on'",
                "registers.owner == null",
                "event.labels.env == \"prod\" || !(event.severity == null)",
                "event.data.items[0].name == 'db-1'",
                "event.data.cpu * 2 >= 10.5 && event.data.cpu % 2 == 1",
                "event.data.cpu > 90 ? true : false",
                "event.data.?missing == null",
                "event.time - 1000L > 0",
                "'web-' + event.subject == 'web-1'",
            })
    void theSubsetCompiles(String expression) {
        assertThatCode(() -> Expression.compile(expression)).doesNotThrowAnyException();
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '"',
            value = {
                "Runtime.getRuntime().exec('touch /tmp/pwned')         | unknown name 'Runtime'",
                "System.exit(0)                                        | unknown name 'System'",
                "java.lang.System.exit(1)                              | unknown name 'java'",
                "new java.io.File('/etc/passwd')                       | unknown name 'new'",
                "event.getClass().forName('java.lang.Runtime')         | 'getClass' at column 7",
                "event.class.classLoader                               | 'class' at column 7",
                "event.type.toUpperCase()                              | calling methods is not allowed",
                "event.tags.clear()                                    | calling methods is not allowed",
                "while (true) {}                                       | statements or blocks",
                "while (true) 1                                        | unknown name 'while'",
                "def f() { 1 }; f()                                    | statements or blocks",
                "event.data = 1                                        | assignment at column 12",
                "registers['x'] = 'y'                                  | assignment at column 16",
                "event.data.cpu += 1                                   | assignment at column 16",
                "event.data.cpu++                                      | assignment at column 15",
                "event.data.cpu > 1; System.exit(0)                    | statements or blocks",
                "{1, 2}                                                | statements or blocks",
                "'aaaa' ~= '(a+)+$'                                    | '~' at column 8",
                "event.type instanceof String                          | an operator is missing before column 12",
                "event.type is String                                  | an operator is missing before column 12",
                "event , .type                                         | '.' at column 9 must stand between a value and a field name",
                "event 'x'                                             | an operator is missing before column 7",
                "import java.io.*                                      | unknown name 'import'",
                "Thread.sleep(100000)                                  | unknown name 'Thread'",
                "@{System.exit(0)}                                     | '@' at column 1",
                "(event.data                                           | unbalanced brackets",
                "event.data.cpu >                                      | ends with an operator",
                "'unterminated                                         | unterminated string",
                "event.data.0x1F                                       | malformed number",
                "$x                                                    | '$' at column 1",
                "event.data.cpu > 9 #comment                           | '#' at column 20",
                "`id`                                                  | '`' at column 1",
                "new Object() { static { System.exit(0); } }           | statements or blocks",
                "Thread.currentThread().getContextClassLoader()        | unknown name 'Thread'",
                "java.lang.Runtime.getRuntime().exec('id')             | unknown name 'java'",
                "dev.reflex.rules.expr.RuleFunctions.NAMES                  | unknown name 'dev'",
                "foreach (x : event.data.tags) { x }                   | statements or blocks",
                "until (false) 1                                       | unknown name 'until'",
                "isdef event                                           | unknown name 'isdef'",
                "event.type == 'a' ; event.type                        | statements or blocks",
                "registers.count = 5                                   | assignment at column 17",
                "event.data['x'] = 1                                   | assignment at column 17",
                "Math.random() > 0.5                                   | unknown name 'Math'",
                "event.type.getClass                                   | 'getClass' at column 12",
            })
    void hostileExpressionsAreRefusedWithAReason(String expression, String reason) {
        assertThatThrownBy(() -> Expression.compile(expression))
                .isInstanceOf(RuleException.class)
                .hasMessageContaining(reason.strip());
    }

    @Test
    void limitsOnLengthAndNestingAreEnforced() {
        assertThatThrownBy(() -> Expression.compile("event.id == '" + "a".repeat(ExpressionGuard.MAX_LENGTH) + "'"))
                .hasMessageContaining("the limit is " + ExpressionGuard.MAX_LENGTH);
        assertThatThrownBy(() -> Expression.compile("(".repeat(40) + "true" + ")".repeat(40)))
                .hasMessageContaining("nesting deeper than " + ExpressionGuard.MAX_NESTING);
    }

    @Test
    void propertySyntaxOnTextsNumbersAndListsReachesNoMethod() {
        Map<String, Object> event = ReadOnlyViews.map(new HashMap<>(
                Map.of("type", "t", "n", 5L, "tags", Collections.unmodifiableList(new ArrayList<>(List.of("a"))))));
        for (String expression :
                new String[] {"event.type.bytes", "event.n.class2", "event.tags.empty", "event.type.empty"}) {
            Assertions.assertThatThrownBy(() -> Expression.compile(expression).evaluate(Map.of("event", event)))
                    .as(expression)
                    .hasStackTraceContaining("has no fields");
        }
    }

    @Test
    void propertySyntaxOnEventMapsReadsKeysAndNeverCallsMethods() {
        Map<String, Object> data = ReadOnlyViews.map(new HashMap<>(Map.of("cpu", 97L)));
        Map<String, Object> event = ReadOnlyViews.map(new HashMap<>(Map.of("data", data)));
        Expression clear =
                Expression.compile("event.data.clear == null && event.data.size == null && event.data.cpu == 97");
        assertThat(clear.evaluate(Map.of("event", event))).isEqualTo(true);
        assertThat(data).containsEntry("cpu", 97L);
    }
}
