package dev.reflex.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ActionIdsTest {
    @Test
    void theSameCauseGivesTheSameIdAndAnyDifferenceGivesAnother() {
        String id = ActionIds.of("event-1", "rule-a", "v1", 0);
        assertThat(ActionIds.of("event-1", "rule-a", "v1", 0)).isEqualTo(id).hasSize(32);
        assertThat(ActionIds.of("event-1", "rule-a", "v1", 1)).isNotEqualTo(id);
        assertThat(ActionIds.of("event-1", "rule-a", "v2", 0)).isNotEqualTo(id);
        assertThat(ActionIds.of("event-2", "rule-a", "v1", 0)).isNotEqualTo(id);
        assertThat(ActionIds.of("a:b", "c", "v", 0)).isNotEqualTo(ActionIds.of("a", "b:c", "v", 0));
    }

    @Test
    void topicNamesFollowThePrefixAndRefuseBadParts() {
        TopicNames names = new TopicNames("acme.");
        assertThat(names.actions("pager")).isEqualTo("acme.actions.pager");
        assertThat(names.ingestPattern().matcher("acme.ingest.github").matches())
                .isTrue();
        assertThat(names.ingestPattern().matcher("acmexingest.github").matches())
                .isFalse();
        assertThat(names.sourceOf("acme.ingest.github")).isEqualTo("github");
        assertThat(TopicNames.isValidPart("../etc")).isFalse();
        assertThat(TopicNames.isValidPart("")).isFalse();
    }
}
