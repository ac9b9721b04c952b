package dev.reflex.rules.expr;

import java.math.BigInteger;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import org.mvel2.MVEL;
import org.mvel2.integration.PropertyHandler;
import org.mvel2.integration.PropertyHandlerFactory;
import org.mvel2.integration.VariableResolverFactory;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What expressions see: immutable maps and lists of JSON values. A missing key reads as null (so
 * {@code event.data.missing == null} is simply true) and never falls through to a Java method of the map.
 */
public final class ReadOnlyViews {
    static {
        // MVEL resolves `a.b` to a no-argument method b() of the map before its key "b" (so `event.data.clear`
        // would call clear()). For our views, a property is always a key.
        PropertyHandler keyLookup = new PropertyHandler() {
            @Override
            public Object getProperty(String name, Object view, VariableResolverFactory variables) {
                return ((Map<?, ?>) view).get(name);
            }

            @Override
            public Object setProperty(String name, Object view, VariableResolverFactory variables, Object value) {
                throw new UnsupportedOperationException(
                        "rules cannot change '" + name + "': event and registers are read-only");
            }
        };
        PropertyHandlerFactory.registerPropertyHandler(Fields.class, keyLookup);
        PropertyHandlerFactory.registerPropertyHandler(Registers.class, keyLookup);
        // Texts, numbers, booleans and lists have no fields: without this, `event.type.bytes` would call getBytes().
        for (Class<?> valueType : List.of(
                String.class,
                Long.class,
                Integer.class,
                Double.class,
                BigInteger.class,
                Boolean.class,
                Collections.unmodifiableList(new ArrayList<>()).getClass(),
                List.of().getClass(),
                List.of(1).getClass(),
                List.of(1, 2, 3).getClass())) {
            PropertyHandlerFactory.registerPropertyHandler(valueType, new PropertyHandler() {
                @Override
                public Object getProperty(String name, Object value, VariableResolverFactory variables) {
                    throw new UnsupportedOperationException("'" + name + "' does not exist: "
                            + (value instanceof List
                                    ? "a list has no fields; use [n], len() or in"
                                    : "a " + kind(value) + " has no fields"));
                }

                @Override
                public Object setProperty(
                        String name, Object value, VariableResolverFactory variables, Object newValue) {
                    throw new UnsupportedOperationException("rules cannot change values");
                }
            });
        }
        MVEL.COMPILER_OPT_ALLOW_OVERRIDE_ALL_PROPHANDLING = true;
    }

    private ReadOnlyViews() {}

    private static String kind(Object value) {
        return value instanceof String ? "text" : value instanceof Boolean ? "boolean" : "number";
    }

    /** Makes sure the property handlers are registered before any expression is compiled. */
    static void install() {
        // the static initializer does the work
    }

    public static Map<String, Object> map(Map<String, Object> values) {
        return new Fields(Collections.unmodifiableMap(values));
    }

    public static Object json(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return null;
        }
        if (node.isObject()) {
            Map<String, Object> fields = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                fields.put(field.getKey(), json(field.getValue()));
            }
            return map(fields);
        }
        if (node.isArray()) {
            List<Object> items = new ArrayList<>(node.size());
            node.forEach(item -> items.add(json(item)));
            return Collections.unmodifiableList(items);
        }
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        if (node.isInt() || node.isLong()) {
            return node.longValue();
        }
        if (node.isIntegralNumber()) {
            BigInteger big = node.bigIntegerValue();
            return big.bitLength() < 64 ? (Object) big.longValue() : big;
        }
        if (node.isNumber()) {
            return node.doubleValue();
        }
        return node.asText();
    }

    /** Registers are looked up one by one, on read; they cannot be listed or changed. */
    public static Map<String, Object> registers(Function<String, String> lookup) {
        return new Registers(lookup);
    }

    /** A map whose every property is a key lookup; {@code entries} lists it where listing is allowed. */
    static class KeyedView extends AbstractMap<String, Object> {
        private final Function<Object, Object> lookup;
        private final Set<Entry<String, Object>> entries;

        KeyedView(Function<Object, Object> lookup, Set<Entry<String, Object>> entries) {
            this.lookup = lookup;
            this.entries = entries;
        }

        @Override
        public Object get(Object key) {
            return key == null ? null : lookup.apply(key);
        }

        @Override
        public boolean containsKey(Object key) {
            return true;
        }

        @Override
        public Set<Entry<String, Object>> entrySet() {
            if (entries == null) {
                throw new UnsupportedOperationException("registers can be read by name only");
            }
            return entries;
        }

        @Override
        public String toString() {
            return entries == null ? "registers" : entries.toString();
        }
    }

    private static final class Fields extends KeyedView {
        Fields(Map<String, Object> values) {
            super(values::get, values.entrySet());
        }
    }

    private static final class Registers extends KeyedView {
        Registers(Function<String, String> lookup) {
            super(key -> lookup.apply(key.toString()), null);
        }
    }
}
