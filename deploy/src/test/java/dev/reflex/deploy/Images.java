package dev.reflex.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;

import dev.reflex.embedded.ApicurioRegistry;

/**
 * The images docker-compose.yml names, built here once per test run: Reflex's own from the Dockerfile on a Java
 * runtime made from Debian's packages (no image can be pulled here), and stand-ins for the official broker and
 * registry images, from the same releases the project uses, tagged as the compose file expects.
 */
final class Images {
    static final String BASE = "reflex-test/jre:17";
    static final String REFLEX = "reflex:latest";
    static final String DEMO = "reflex-demo:latest";
    static final String KAFKA = "apache/kafka:4.3.1";
    static final String REGISTRY = "apicurio/apicurio-registry-mem:2.6.13.Final";
    private static boolean built;

    private Images() {
    }

    /** The checkout's root (tests run in the module's directory). */
    static Path repo() {
        return Path.of("").toAbsolutePath().getParent();
    }

    static synchronized void build() throws IOException {
        if (built) {
            return;
        }
        Path repo = repo();
        Path docker = repo.resolve("deploy/src/test/docker");
        if (Docker.run(Duration.ofSeconds(30), "docker", "image", "inspect", BASE).exit() != 0) {
            Docker.run(Duration.ofMinutes(5), Map.of(), repo, "bash", docker.resolve("jre-base.sh").toString(), BASE).orThrow("the Java base image");
        }
        Docker.run(Duration.ofMinutes(5), Map.of(), repo, "docker", "build", "-q", "--build-arg", "BASE_IMAGE=" + BASE, "-t", REFLEX, ".")
            .orThrow("the reflex image");
        Docker.run(Duration.ofMinutes(5), Map.of(), repo, "docker", "build", "-q", "--build-arg", "BASE_IMAGE=" + BASE, "--target", "demo",
            "-t", DEMO, ".").orThrow("the demo image");
        Docker.run(Duration.ofMinutes(5), Map.of(), repo, "docker", "build", "-q", "--build-arg", "DEMO_IMAGE=" + DEMO, "-t", KAFKA,
            docker.resolve("kafka").toString()).orThrow("the stand-in broker image");
        Path context = Files.createTempDirectory("reflex-registry-image");
        try {
            Files.copy(docker.resolve("registry/Dockerfile"), context.resolve("Dockerfile"));
            copy(ApicurioRegistry.distribution().getParent(), context.resolve("apicurio"));
            Docker.run(Duration.ofMinutes(5), Map.of(), context, "docker", "build", "-q", "--build-arg", "BASE_IMAGE=" + BASE, "-t",
                REGISTRY, ".").orThrow("the stand-in registry image");
        } finally {
            try (Stream<Path> files = Files.walk(context)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        built = true;
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target);
                }
            }
        }
    }
}
