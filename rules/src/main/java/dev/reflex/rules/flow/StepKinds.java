package dev.reflex.rules.flow;

import static dev.reflex.rules.flow.CompiledFlow.END;
import static dev.reflex.rules.flow.CompiledFlow.FAIL;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.reflex.rules.expr.RuleException;
import dev.reflex.schemas.TopicNames;

/**
 * The kinds of flow step, by the name a flow writes them with: each one's reader and the fields it takes beside
 * {@code id}, {@code next} and its own. A new kind of step is a {@link Step} class and its entry here.
 */
final class StepKinds {
    /** Reads a step of one kind from its fields; {@code compiler} compiles the lists of steps it holds. */
    interface Reader {
        Step read(Step.Place place, Map<String, Object> fields, String at, Compiler compiler);
    }

    private record Kind(Reader reader, Set<String> otherFields) {}

    private static final Map<String, Kind> KINDS = kinds();

    private StepKinds() {}

    private static Map<String, Kind> kinds() {
        Map<String, Kind> kinds = new LinkedHashMap<>();
        kinds.put("do", new Kind(DoStep::read, Set.of("retry", "timeout")));
        kinds.put("wait", new Kind(WaitStep::read, Set.of()));
        kinds.put("set", new Kind(SetStep::read, Set.of()));
        kinds.put("switch", new Kind(SwitchStep::read, Set.of()));
        kinds.put("parallel", new Kind(ParallelStep::read, Set.of()));
        kinds.put("forEach", new Kind(ForEachStep::read, Set.of()));
        return kinds;
    }

    /** Compiles the steps of each scope, then checks that every {@code next} leads somewhere in its own scope. */
    static final class Compiler {
        private final Map<String, Step> steps;
        private final Map<String, List<String>> scopes;
        private final Map<String, String> paths = new LinkedHashMap<>();

        Compiler(Map<String, Step> steps, Map<String, List<String>> scopes) {
            this.steps = steps;
            this.scopes = scopes;
        }

        void scope(Object list, String path, String scope) {
            if (!(list instanceof List<?> items) || items.isEmpty()) {
                throw new RuleException(path, "'" + path + "' must be a non-empty list of steps");
            }
            List<String> ids = new ArrayList<>();
            List<Map<String, Object>> raw = new ArrayList<>();
            for (int i = 0; i < items.size(); i++) {
                String at = path + "[" + i + "]";
                Map<String, Object> step = FlowSteps.map(items.get(i), at, null, true);
                String id = FlowSteps.text(step.get("id"), at + ".id");
                if (id == null || !TopicNames.isValidPart(id) || id.equals(END) || id.equals(FAIL)) {
                    throw new RuleException(
                            at + ".id",
                            "each step needs an 'id' of letters, digits, '.', '_' or '-' (not end or fail)");
                }
                if (paths.putIfAbsent(id, at) != null) {
                    throw new RuleException(
                            at + ".id", "step id '" + id + "' is used twice (also at " + paths.get(id) + ")");
                }
                ids.add(id);
                raw.add(step);
            }
            scopes.put(scope, List.copyOf(ids));
            for (int i = 0; i < raw.size(); i++) {
                steps.put(
                        ids.get(i),
                        step(raw.get(i), path + "[" + i + "]", scope, i + 1 < ids.size() ? ids.get(i + 1) : null));
            }
        }

        private Step step(Map<String, Object> s, String at, String scope, String following) {
            List<String> named = s.keySet().stream().filter(KINDS::containsKey).toList();
            if (named.size() != 1) {
                throw new RuleException(
                        at,
                        "a step is exactly one of " + String.join(", ", KINDS.keySet())
                                + (named.isEmpty() ? "" : "; this one has " + String.join(" and ", named)));
            }
            String name = named.get(0);
            Kind kind = KINDS.get(name);
            Set<String> allowed = new HashSet<>(Set.of("id", "next", name));
            allowed.addAll(kind.otherFields());
            for (String k : s.keySet()) {
                if (!allowed.contains(k)) {
                    throw new RuleException(
                            at + "." + k,
                            "unknown field '" + k + "' in a " + name + " step; expected one of "
                                    + String.join(", ", FlowSteps.sorted(allowed)));
                }
            }
            Step.Place place =
                    new Step.Place((String) s.get("id"), scope, FlowSteps.next(s.get("next"), at + ".next"), following);
            return kind.reader().read(place, s, at, this);
        }

        /** Every next target and switch case leads to a step of its own scope, end or fail. */
        void checkTargets() {
            for (Map.Entry<String, String> path : paths.entrySet()) {
                Step step = steps.get(path.getKey());
                List<String> scope = scopes.get(step.scope());
                List<String> targets = new ArrayList<>(step.place().next().values());
                targets.addAll(step.targets());
                for (String target : targets) {
                    if (!target.equals(END) && !target.equals(FAIL) && !scope.contains(target)) {
                        throw new RuleException(
                                path.getValue() + ".next",
                                "'" + target + "' is not a step of the same list" + " (steps there: "
                                        + String.join(", ", scope) + "), end or fail");
                    }
                }
            }
        }
    }
}
