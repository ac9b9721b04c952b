package dev.reflex.rules;

import dev.reflex.schemas.Rule;

/** A rule as the engine holds it: compiled and ready, or quarantined with the reason. */
public sealed interface IndexedRule permits CompiledRule, QuarantinedRule {
    Rule rule();

    default String id() {
        return rule().getId();
    }

    default String version() {
        return rule().getVersion();
    }
}
