package dev.reflex.rules;

import dev.reflex.schemas.Rule;

/** A rule that reached the engine but cannot run; it is reported in every decision it would have taken part in. */
public record QuarantinedRule(Rule rule, String reason) implements IndexedRule {}
