package dev.reflex.rules.expr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.reflex.schemas.Event;

class RuleFunctionsTest {
    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

    private static Object eval(String expression) {
        Event event = Event.newBuilder()
                .setId("e-1")
                .setSource("k8s")
                .setType("pod.oom")
                .setSubject("api-7f9c")
                .setTime(Instant.parse("2026-03-01T11:30:00Z"))
                .setData(
                        "{\"ip\":\"10.1.2.3\",\"v6\":\"2001:db8::7\",\"host\":\"web-12.prod.example.com\",\"cpu\":97,"
                                + "\"tags\":[\"a\",\"b\"],\"alerts\":[{\"labels\":{\"severity\":\"critical\"}}],\"msg\":\"Disk FULL \"}")
                .build();
        Map<String, Object> variables = new HashMap<>();
        variables.put("event", EventView.of(event));
        variables.put("registers", ReadOnlyViews.registers(name -> name.equals("count") ? "4" : null));
        variables.put(ExpressionGuard.FUNCTIONS_VARIABLE, new RuleFunctions(NOW.toEpochMilli()));
        return Expression.compile(expression).evaluate(variables);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "matches(event.data.host, '^web-[0-9]+\\\\.prod\\\\.')",
                "!matches(event.data.host, '^db-')",
                "glob(event.data.host, 'web-*.prod.*')",
                "!glob(event.data.host, 'db-?.prod.*')",
                "cidr(event.data.ip, '10.0.0.0/8') && !cidr(event.data.ip, '192.168.0.0/16')",
                "cidr(event.data.v6, '2001:db8::/32')",
                "lower(event.data.msg) == 'disk full ' && upper('a') == 'A' && trim(event.data.msg) == 'Disk FULL'",
                "startsWith(event.subject, 'api-') && endsWith(event.subject, '7f9c') && contains(event.subject, '-7f')",
                "contains(event.data.tags, 'b') && !contains(event.data.tags, 'z') && contains(event.data, 'cpu')",
                "len(event.data.tags) == 2 && len(event.subject) == 8 && len(null) == 0",
                "split(event.data.host, '.')[1] == 'prod'",
                "replace(event.subject, '-', '_') == 'api_7f9c' && substring(event.subject, 0, 3) == 'api'",
                "num(registers.count) + 1 == 5 && num('x') == null && str(event.data.cpu) == '97'",
                "coalesce(event.data.missing, 'fallback') == 'fallback'",
                "now() - event.time == minutes(30) && hours(1) == 3600000 && days(1) == 86400000 && seconds(1.5) == 1500",
                "parseTime('2026-03-01T12:00:00Z') == now() && formatTime(now()) == '2026-03-01T12:00:00Z'",
                "jsonpath(event.data, '$.alerts[0].labels.severity') == 'critical' && jsonpath(event.data, \"$['tags'][1]\") == 'b'",
                "jsonpath(event.data, '$.alerts[5].labels') == null",
                "event.type in ['pod.oom', 'pod.crash'] && !(event.type in ['x']) && event.data.cpu in [96, 97]",
                "'a' in event.data.tags && lower(event.source) in ['k8s']",
                "event.data.alerts[0].labels.severity in ['critical'] || false",
            })
    void theFunctionLibraryWorks(String expression) {
        assertThat(eval(expression)).as(expression).isEqualTo(true);
    }

    @Test
    void functionsRefuseBadArgumentsWithAReasonAndNeverLookUpHosts() {
        assertThatThrownBy(() -> eval("cidr('example.com', '10.0.0.0/8')"))
                .hasStackTraceContaining("is not an IP address");
        assertThatThrownBy(() -> eval("matches(event.subject, '(unclosed')"))
                .hasStackTraceContaining("invalid pattern");
        assertThatThrownBy(() -> eval("matches(event.subject, '" + "a".repeat(RuleFunctions.MAX_PATTERN + 1) + "')"))
                .hasStackTraceContaining("longer than");
        assertThatThrownBy(() -> eval("event.type in 'pod.oom'")).hasStackTraceContaining("'in' needs a list");
    }

    /** (a+)+$ against aaaa...b runs for ages on a backtracking engine; RE2J is linear. The timeout only guards against a hang. */
    @Test
    @Timeout(60)
    void regexIsLinearTimeSoCatastrophicPatternsAreHarmless() {
        assertThat(new RuleFunctions(0).matches("a".repeat(5_000) + "b", "(a+)+$"))
                .isFalse();
    }

    @Test
    void unknownFunctionsAreRefusedWithTheListOfKnownOnes() {
        assertThatThrownBy(() -> Expression.compile("exec('id')"))
                .hasMessageContaining("unknown name 'exec'")
                .hasMessageContaining("not a function of the rule language")
                .hasMessageContaining("matches");
        assertThatThrownBy(() -> Expression.compile("__fn.getClass()")).hasMessageContaining("unknown name '__fn'");
    }
}
