package dev.reflex.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

/** docs/configuration.md is generated; this fails when a setting changes and the document was not regenerated. */
class ConfigReferenceTest {
    private static final Path DOC = Path.of("..", "docs", "configuration.md");

    @Test
    void theCommittedReferenceMatchesTheSettingsInCode() throws Exception {
        String generated = ConfigReference.markdown();
        if (Boolean.getBoolean("reflex.docs.update")) {
            Files.createDirectories(DOC.getParent());
            Files.writeString(DOC, generated, StandardCharsets.UTF_8);
        }
        assertThat(Files.readString(DOC, StandardCharsets.UTF_8)).isEqualTo(generated);
        assertThat(generated)
                .contains(
                        "`bootstrap.servers`",
                        "`REFLEX_BOOTSTRAP_SERVERS`",
                        "`webhook.token`",
                        "`reflex.max.event.bytes`");
    }
}
