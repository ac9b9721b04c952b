package dev.reflex.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import dev.reflex.embedded.testing.Docker;
import dev.reflex.embedded.testing.Images;

/**
 * The production image: runs as a non-root user on a read-only root filesystem, sizes its heap by the container's
 * memory limit, and carries no broker or registry.
 */
@Tag("docker")
class ImageTest {
    @BeforeAll
    static void build() throws Exception {
        Docker.requireOrSkip();
        Images.build();
    }

    @Test
    void runsAsANonRootUserOnAReadOnlyRootFilesystem() {
        assertThat(Docker.run(
                                Duration.ofSeconds(30),
                                "docker",
                                "image",
                                "inspect",
                                "-f",
                                "{{.Config.User}}",
                                Images.REFLEX)
                        .orThrow("inspect")
                        .output()
                        .strip())
                .isEqualTo("10001:10001");
        Docker.Result version = Docker.run(
                Duration.ofMinutes(1),
                "docker",
                "run",
                "--rm",
                "--read-only",
                "--tmpfs",
                "/tmp",
                Images.REFLEX,
                "--version");
        assertThat(version.exit()).as(version.output()).isZero();
        assertThat(version.output()).contains("reflex ");
        Docker.Result id = Docker.run(
                Duration.ofMinutes(1),
                "docker",
                "run",
                "--rm",
                "--read-only",
                "--entrypoint",
                "id",
                Images.REFLEX,
                "-u");
        assertThat(id.output().strip()).isEqualTo("10001");
    }

    @Test
    void theHeapFollowsTheContainersMemoryLimit() {
        Docker.Result flags = Docker.run(
                Duration.ofMinutes(1),
                "docker",
                "run",
                "--rm",
                "-m",
                "512m",
                "-e",
                "JAVA_TOOL_OPTIONS=-XX:+PrintFlagsFinal",
                Images.REFLEX,
                "--version");
        assertThat(flags.exit()).as(flags.output()).isZero();
        // 75% of 512 MiB
        assertThat(flags.output()).containsPattern("MaxHeapSize\\s+= 402653184\\s");
    }

    @Test
    void theProductionImageHasNoBrokerNoRegistryAndNoDevCommand() {
        String libs = Docker.run(
                        Duration.ofMinutes(1),
                        "docker",
                        "run",
                        "--rm",
                        "--entrypoint",
                        "ls",
                        Images.REFLEX,
                        "/opt/reflex/lib")
                .orThrow("ls")
                .output();
        assertThat(libs)
                .contains("kafka-streams-", "kafka-clients-")
                .doesNotContain("kafka_2.13-", "kafka-server-", "apicurio");
        Docker.Result dev = Docker.run(Duration.ofMinutes(1), "docker", "run", "--rm", Images.REFLEX, "dev");
        assertThat(dev.exit()).as(dev.output()).isNotZero();
        assertThat(dev.output()).contains("Unmatched argument at index 0: 'dev'");
        assertThat(Docker.run(Duration.ofMinutes(1), "docker", "run", "--rm", Images.DEMO, "dev", "--help")
                        .exit())
                .isZero();
    }
}
