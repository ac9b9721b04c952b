package dev.reflex.rules.files;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.SequenceNode;

import dev.reflex.rules.CompiledRule;
import dev.reflex.rules.expr.RuleException;
import dev.reflex.rules.systems.Systems;
import dev.reflex.rules.yaml.ProblemAt;
import dev.reflex.rules.yaml.YamlReader;
import dev.reflex.schemas.ActionTemplate;
import dev.reflex.schemas.Correlate;
import dev.reflex.schemas.CorrelateCompanion;
import dev.reflex.schemas.CorrelateCount;
import dev.reflex.schemas.CorrelateThrottle;
import dev.reflex.schemas.RegisterOpType;
import dev.reflex.schemas.RegisterTemplate;
import dev.reflex.schemas.Rule;
import dev.reflex.schemas.RuleTrigger;

/**
 * Reads one rule document into a rule record, checked and compiled, remembering the line of each field so a compile
 * error points at the line of the field at fault.
 */
final class RuleReader {
    private static final Set<String> RULE_KEYS = Set.of("id", "description", "enabled", "when", "correlate", "then");
    private static final Set<String> CORRELATE_KEYS =
            Set.of("key", "count", "throttle", "debounce", "unless", "after", "lateness");
    private static final Set<String> COMPANION_KEYS = Set.of("source", "type", "condition", "within");
    private static final Set<String> WHEN_KEYS = Set.of("source", "type", "condition", "event");
    private static final Set<String> ACTION_KEYS = Set.of("system", "action", "target", "params");
    private static final Set<String> NAMED_ACTION_KEYS = Set.of("do", "target", "params");
    private static final Map<String, Set<String>> REGISTER_KEYS =
            Map.of("set", Set.of("set", "value", "ttl"), "incr", Set.of("incr", "by"), "delete", Set.of("delete"));

    private final String fileName;
    private final Systems systems;
    private final Map<String, Integer> lines = new HashMap<>();
    private final List<String> uses = new ArrayList<>();

    RuleReader(String fileName, Systems systems) {
        this.fileName = fileName;
        this.systems = systems;
    }

    Rule read(Node document) {
        Map<String, Node> root = mapping(document, "a rule", RULE_KEYS);
        Node idNode = root.get("id");
        if (idNode == null) {
            throw new ProblemAt(document, "a rule needs an 'id'");
        }
        String id = scalar(idNode, "id");
        RuleTrigger.Builder when = RuleTrigger.newBuilder();
        Node whenNode = root.get("when");
        if (whenNode == null) {
            throw new ProblemAt(document, "rule '" + id + "' needs a 'when' (source, type and/or condition)");
        }
        Map<String, Node> whenFields = mapping(whenNode, "'when'", WHEN_KEYS);
        when.setSource(optionalScalar(whenFields.get("source"), "when.source"));
        when.setType(optionalScalar(whenFields.get("type"), "when.type"));
        when.setCondition(optionalScalar(whenFields.get("condition"), "when.condition"));
        lines.put("when", line(whenNode));
        if (whenFields.containsKey("event")) {
            Node eventNode = whenFields.get("event");
            if (when.getSource() != null || when.getType() != null) {
                throw new ProblemAt(eventNode, "use either 'event' or 'source'/'type' in 'when', not both");
            }
            String name = scalar(eventNode, "when.event");
            Systems.NamedEvent named = systems.event(name);
            if (named == null) {
                throw new ProblemAt(eventNode, systems.unknownEvent(name));
            }
            RuleTrigger trigger = named.trigger(when.getCondition());
            when.setSource(trigger.getSource()).setType(trigger.getType()).setCondition(trigger.getCondition());
            uses.add("event " + name + " (" + named.definedAt() + ")");
        }

        List<ActionTemplate> actions = new ArrayList<>();
        List<RegisterTemplate> registers = new ArrayList<>();
        Node thenNode = root.get("then");
        if (thenNode != null) {
            if (!(thenNode instanceof SequenceNode sequence)) {
                throw new ProblemAt(thenNode, "'then' must be a list of actions and register operations");
            }
            for (int j = 0; j < sequence.getValue().size(); j++) {
                Node item = sequence.getValue().get(j);
                Map<String, Node> fields = mapping(item, "an item of 'then'", null);
                String op = REGISTER_KEYS.keySet().stream()
                        .filter(fields::containsKey)
                        .findFirst()
                        .orElse(null);
                if (fields.containsKey("do")) {
                    actions.add(namedAction(item, fields, "actions[" + actions.size() + "]"));
                } else if (op == null) {
                    actions.add(action(item, fields, "actions[" + actions.size() + "]"));
                } else {
                    registers.add(register(item, fields, op, "registers[" + registers.size() + "]"));
                }
            }
        }
        Correlate correlate = null;
        if (root.containsKey("correlate")) {
            correlate = correlate(root.get("correlate"));
        }
        boolean enabled = true;
        if (root.containsKey("enabled")) {
            String text = scalar(root.get("enabled"), "enabled");
            if (!text.equals("true") && !text.equals("false")) {
                throw new ProblemAt(root.get("enabled"), "'enabled' must be true or false, not '" + text + "'");
            }
            enabled = Boolean.parseBoolean(text);
        }
        Rule rule = Rule.newBuilder()
                .setId(id)
                .setVersion("")
                .setDescription(optionalScalar(root.get("description"), "description"))
                .setEnabled(enabled)
                .setWhen(when.build())
                .setActions(actions)
                .setRegisters(registers)
                .setOrigin(fileName + ":" + line(document))
                .setUses(List.copyOf(uses))
                .setCorrelate(correlate)
                .build();
        try {
            CompiledRule.compile(rule);
        } catch (RuleException e) {
            throw new ProblemAt(
                    lineOfField(e.field(), line(document)),
                    (e.field().isEmpty() ? "" : thenField(e.field()) + ": ") + e.reason());
        }
        rule.setVersion(RuleFiles.versionOf(rule));
        return rule;
    }

    private Correlate correlate(Node node) {
        Map<String, Node> fields = mapping(node, "'correlate'", CORRELATE_KEYS);
        lines.put("correlate", line(node));
        Correlate.Builder c = Correlate.newBuilder()
                .setKey(optionalScalar(fields.get("key"), "correlate.key"))
                .setDebounce(optionalScalar(fields.get("debounce"), "correlate.debounce"))
                .setLateness(optionalScalar(fields.get("lateness"), "correlate.lateness"));
        if (fields.containsKey("count")) {
            Map<String, Node> count = required(fields.get("count"), "'correlate.count'", Set.of("atLeast", "within"));
            c.setCount(CorrelateCount.newBuilder()
                    .setAtLeast(integer(count.get("atLeast"), "correlate.count.atLeast"))
                    .setWithin(scalar(count.get("within"), "correlate.count.within"))
                    .build());
        }
        if (fields.containsKey("throttle")) {
            Map<String, Node> throttle = required(fields.get("throttle"), "'correlate.throttle'", Set.of("max", "per"));
            c.setThrottle(CorrelateThrottle.newBuilder()
                    .setMax(integer(throttle.get("max"), "correlate.throttle.max"))
                    .setPer(scalar(throttle.get("per"), "correlate.throttle.per"))
                    .build());
        }
        c.setUnless(companion(fields.get("unless"), "correlate.unless"));
        c.setAfter(companion(fields.get("after"), "correlate.after"));
        return c.build();
    }

    private CorrelateCompanion companion(Node node, String field) {
        if (node == null) {
            return null;
        }
        Map<String, Node> fields = mapping(node, "'" + field + "'", COMPANION_KEYS);
        lines.put(field, line(node));
        if (!fields.containsKey("within")) {
            throw new ProblemAt(
                    node, "'" + field + "' needs 'within': how long to wait for, or look back at, its event");
        }
        return CorrelateCompanion.newBuilder()
                .setSource(optionalScalar(fields.get("source"), field + ".source"))
                .setType(optionalScalar(fields.get("type"), field + ".type"))
                .setCondition(optionalScalar(fields.get("condition"), field + ".condition"))
                .setWithin(scalar(fields.get("within"), field + ".within"))
                .build();
    }

    /** A mapping whose fields are all required. */
    private Map<String, Node> required(Node node, String what, Set<String> keys) {
        Map<String, Node> fields = mapping(node, what, keys);
        for (String key : keys.stream().sorted().toList()) {
            if (!fields.containsKey(key)) {
                throw new ProblemAt(
                        node,
                        what + " needs '" + key + "' (it takes "
                                + String.join(" and ", keys.stream().sorted().toList()) + ")");
            }
        }
        return fields;
    }

    private int integer(Node node, String field) {
        String text = scalar(node, field);
        try {
            return Integer.parseInt(text.strip());
        } catch (NumberFormatException e) {
            throw new ProblemAt(node, "'" + field + "' must be a whole number, not '" + text + "'");
        }
    }

    /** The line of a field, or of the nearest enclosing field read (correlate.count for correlate.count.x). */
    private int lineOfField(String field, int otherwise) {
        return YamlReader.lineOf(lines, field, otherwise);
    }

    /** Names a field as the user wrote it: actions[1] is the second action in 'then', wherever it stands. */
    private String thenField(String field) {
        String prefix = field.contains(".") ? field.substring(0, field.indexOf('.')) : field;
        Integer index = lines.get("#" + prefix);
        return index == null ? field : "then[" + index + "]" + field.substring(prefix.length());
    }

    private ActionTemplate action(Node item, Map<String, Node> fields, String at) {
        for (String key : fields.keySet()) {
            if (!ACTION_KEYS.contains(key)) {
                throw new ProblemAt(
                        fields.get(key),
                        "unknown field '" + key + "' in an action; expected one of "
                                + "system, action, target, params (or set, incr, delete for a register)");
            }
        }
        rememberThen(item, at);
        if (!fields.containsKey("system") || !fields.containsKey("action")) {
            throw new ProblemAt(item, "an action needs both 'system' and 'action'");
        }
        Map<String, String> params = new TreeMap<>();
        Node paramsNode = fields.get("params");
        if (paramsNode != null) {
            for (Map.Entry<String, Node> p :
                    mapping(paramsNode, "'params'", null).entrySet()) {
                params.put(p.getKey(), scalar(p.getValue(), at + ".params." + p.getKey()));
            }
        }
        return ActionTemplate.newBuilder()
                .setSystem(scalar(fields.get("system"), at + ".system"))
                .setAction(scalar(fields.get("action"), at + ".action"))
                .setTarget(optionalScalar(fields.get("target"), at + ".target"))
                .setParams(params)
                .build();
    }

    private ActionTemplate namedAction(Node item, Map<String, Node> fields, String at) {
        for (String key : fields.keySet()) {
            if (!NAMED_ACTION_KEYS.contains(key)) {
                throw new ProblemAt(
                        fields.get(key), "unknown field '" + key + "' next to 'do'; expected do, target, params");
            }
        }
        rememberThen(item, at);
        String name = scalar(fields.get("do"), at + ".do");
        Systems.NamedAction named = systems.action(name);
        if (named == null) {
            throw new ProblemAt(fields.get("do"), systems.unknownAction(name));
        }
        Map<String, String> params = new TreeMap<>(named.params());
        Node paramsNode = fields.get("params");
        if (paramsNode != null) {
            for (Map.Entry<String, Node> p :
                    mapping(paramsNode, "'params'", null).entrySet()) {
                params.put(p.getKey(), scalar(p.getValue(), at + ".params." + p.getKey()));
            }
        }
        String target = optionalScalar(fields.get("target"), at + ".target");
        uses.add("action " + name + " (" + named.definedAt() + ")");
        return ActionTemplate.newBuilder()
                .setSystem(named.system())
                .setAction(named.action())
                .setTarget(target != null ? target : named.target())
                .setParams(params)
                .build();
    }

    private RegisterTemplate register(Node item, Map<String, Node> fields, String op, String at) {
        Set<String> allowed = REGISTER_KEYS.get(op);
        for (String key : fields.keySet()) {
            if (!allowed.contains(key)) {
                throw new ProblemAt(
                        fields.get(key),
                        "unknown field '" + key + "' in a '" + op + "' register operation; expected "
                                + String.join(", ", allowed.stream().sorted().toList()));
            }
        }
        rememberThen(item, at);
        String valueKey = op.equals("set") ? "value" : op.equals("incr") ? "by" : null;
        String value = valueKey == null ? null : optionalScalar(fields.get(valueKey), at + ".value");
        if (op.equals("set") && value == null) {
            throw new ProblemAt(item, "'set' needs a 'value'");
        }
        return RegisterTemplate.newBuilder()
                .setOp(RegisterOpType.valueOf(op.toUpperCase()))
                .setName(scalar(fields.get(op), at))
                .setValue(value)
                .setTtl(optionalScalar(fields.get("ttl"), at + ".ttl"))
                .build();
    }

    private void rememberThen(Node item, String at) {
        lines.put(at, line(item));
        int thenIndex = lines.merge("#then-count", 1, Integer::sum) - 1;
        lines.put("#" + at, thenIndex);
    }

    private Map<String, Node> mapping(Node node, String what, Set<String> allowed) {
        return YamlReader.mapping(node, what, allowed);
    }

    /** A single value, remembering its line for the compile errors of its field. */
    private String scalar(Node node, String field) {
        String value = YamlReader.scalar(node, field);
        lines.put(field, line(node));
        return value;
    }

    private String optionalScalar(Node node, String field) {
        return node == null ? null : YamlReader.optionalScalar(node, field) == null ? null : scalar(node, field);
    }

    private static int line(Node node) {
        return YamlReader.line(node);
    }
}
