package dev.reflex.rules.expr;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.junit.jupiter.api.Test;

import dev.reflex.schemas.Event;

/** The expressions evaluated without MVEL give what MVEL gives, or leave it to MVEL. */
class FastExpressionTest {
    private static final String[] VALUES = {
        "95",
        "90",
        "0",
        "-5",
        "90.0",
        "90.5",
        "0.1",
        "1e20",
        "12345678901234",
        "123456789012345678901234567890",
        "\"90\"",
        "\"on\"",
        "\"\"",
        "\"web-1\"",
        "true",
        "false",
        "null",
        "[1, 2]",
        "{\"x\": 1, \"on\": \"on\"}"
    };
    private static final String[] LITERALS = {"90", "0", "90.5", "0.1", "'on'", "\"90\"", "true", "false", "null", "''"
    };
    private static final String[] OPERATORS = {"==", "!=", "<", "<=", ">", ">="};

    private static Map<String, Object> variables(String value, String freeze) {
        String data = value == null ? "{}" : "{\"v\": " + value + ", \"w\": 90}";
        Event event = Event.newBuilder()
                .setId("e-1")
                .setSource("monitoring")
                .setType("cpu.high")
                .setSubject("web-1")
                .setTime(Instant.parse("2026-03-01T12:00:00Z"))
                .setData(data)
                .build();
        Map<String, Object> variables = new HashMap<>();
        variables.put("event", EventView.of(event));
        Map<String, String> registers = new HashMap<>();
        registers.put("freeze", freeze);
        variables.put("registers", ReadOnlyViews.registers(registers::get));
        variables.put(ExpressionGuard.FUNCTIONS_VARIABLE, new RuleFunctions(0));
        return variables;
    }

    private static List<String> expressions() {
        List<String> all = new ArrayList<>();
        for (String operator : OPERATORS) {
            for (String literal : LITERALS) {
                all.add("event.data.v " + operator + " " + literal);
                all.add(literal + " " + operator + " event.data.v");
            }
            all.add("event.data.v " + operator + " event.data.w");
            all.add("event.data.v.x " + operator + " 1");
            all.add("event.data['v'] " + operator + " registers['freeze']");
        }
        all.addAll(List.of(
                "event.data.v",
                "event.data.v.on",
                "event.data.missing",
                "event.data.missing.deeper",
                "event.subject",
                "event",
                "registers.freeze",
                "registers['freeze']",
                "'text'",
                "90",
                "90.5",
                "null",
                "true",
                "event.data.v > 90 && registers['freeze'] != 'on'",
                "event.data.v == 'on' || event.data.v == true",
                "(event.data.v == 'on' || event.data.v == true) && registers.freeze == null",
                "event.data.v && true",
                "true && event.data.v",
                "false && event.data.v",
                "true || event.data.v",
                "event.data.v || false",
                "event.subject == 'web-1' && event.time > 0",
                "event.type == \"cpu.high\"",
                "event.data.v.x == 1 || event.data.v == 95",
                "event.labels.team == null",
                "event.data.v == event.data.v",
                // precedence: && binds tighter than ||, on either side
                "event.data.v == 1 || event.data.v == 95 && registers.freeze == 'on'",
                "event.data.v == 95 && registers.freeze == 'on' || event.data.v == 1",
                "event.data.v == 'on' || registers.freeze == 'on' && event.data.v != 'on' || false"));
        return all;
    }

    @Test
    void everyDecidedValueIsMvelsAndEveryErrorStaysMvels() {
        int decided = 0;
        int cases = 0;
        for (String source : expressions()) {
            Expression expression = Expression.compile(source);
            FastExpression fast = FastExpression.of(source);
            assertThat(fast).as("a fast form of %s", source).isNotNull();
            List<String> values = new ArrayList<>(List.of(VALUES));
            values.add(null);
            for (String value : values) {
                for (String freeze : new String[] {"on", null}) {
                    cases++;
                    Map<String, Object> variables = variables(value, freeze);
                    Object mvel;
                    try {
                        mvel = expression.evaluateWithMvel(variables);
                    } catch (RuntimeException e) {
                        mvel = e;
                    }
                    Object quick = fast.evaluate(variables);
                    String what = source + " with v = " + value + ", freeze = " + freeze;
                    if (quick == FastExpression.UNDECIDED) {
                        continue;
                    }
                    decided++;
                    assertThat(mvel instanceof RuntimeException)
                            .as("MVEL fails (%s) where the fast form decided: %s", mvel, what)
                            .isFalse();
                    assertThat(quick).as(what).isEqualTo(mvel);
                    assertThat(quick == null ? null : quick.getClass())
                            .as("the type of %s", what)
                            .isEqualTo(mvel == null ? null : mvel.getClass());
                    // what callers get is the same either way
                    assertThat(Objects.equals(expression.evaluate(variables), mvel))
                            .as(what)
                            .isTrue();
                }
            }
        }
        // most of the matrix pairs values of different types, which MVEL decides; a quarter is same-typed
        assertThat(decided).as("cases the fast form decided, of %d", cases).isGreaterThan(cases / 4);
    }

    @Test
    void theCommonConditionsAreDecidedWithoutMvel() {
        FastExpression fast = FastExpression.of("event.data.v > 90 && registers['freeze'] != 'on'");
        assertThat(fast.evaluate(variables("95", null))).isEqualTo(true);
        assertThat(fast.evaluate(variables("95", "on"))).isEqualTo(false);
        assertThat(fast.evaluate(variables("90", null))).isEqualTo(false);
        assertThat(FastExpression.of("event.subject").evaluate(variables("1", null)))
                .isEqualTo("web-1");
        assertThat(FastExpression.of("event.data.v == 'on'").evaluate(variables("\"on\"", null)))
                .isEqualTo(true);
    }

    @Test
    void whatIsOutsideTheSubsetHasNoFastForm() {
        for (String source : List.of(
                "len(event.data.v) > 1",
                "event.data.v in ['a', 'b']",
                "!(event.data.v == 1)",
                "event.data.v + 1 > 2",
                "event.data.v > -1",
                "event.data.v ? 1 : 2",
                "event.data.v == 1e3",
                "event.data.v == 010",
                "event.data.v == 'it\\'s'",
                "event.data.list[0] == 1",
                "event.data.?v == 1",
                "event.data.v contains 'a'",
                "event.data.v == 12345678901",
                "event.data.v == \u0661",
                "x == 1",
                "event.data.v ==",
                "(event.data.v == 1",
                "event.data.v == 1)")) {
            assertThat(FastExpression.of(source)).as(source).isNull();
        }
    }
}
