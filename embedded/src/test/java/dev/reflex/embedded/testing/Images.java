package dev.reflex.embedded.testing;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;

import dev.reflex.embedded.ApicurioRegistry;

/**
 * The images docker-compose.yml and the cluster fault run use, built here once per test run: Reflex's own from the Dockerfile on a Java
 * runtime made from Debian's packages (no image can be pulled here), and stand-ins for the official broker and
 * registry images, from the same releases the project uses, tagged as the compose file expects.
 */
public final class Images {
    public static final String BASE = "reflex-test/jre:17";
    public static final String REFLEX = "reflex:latest";
    public static final String DEMO = "reflex-demo:latest";
    public static final String KAFKA = "apache/kafka:4.3.1";
    public static final String REGISTRY = "apicurio/apicurio-registry-mem:2.6.13.Final";
    private static boolean built;

    private Images() {
    }

    /** The checkout's root: the nearest directory up from the working directory with the Dockerfile and the Maven wrapper. */
    public static Path repo() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("Dockerfile")) && Files.isRegularFile(dir.resolve("mvnw"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no Reflex checkout (a directory with Dockerfile and mvnw) at or above " + Path.of("").toAbsolutePath());
    }

    /**
     * Builds the images once per JVM. Test JVMs of several modules may build at the same time (the build runs modules in
     * parallel): a lock file under the system's temporary directory lets one build at a time, so the Java base image is
     * made once.
     */
    public static synchronized void build() throws IOException {
        if (built) {
            return;
        }
        Path lock = Path.of(System.getProperty("java.io.tmpdir"), "reflex-images.lock");
        try (FileChannel channel = FileChannel.open(lock, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = channel.lock()) {
            buildLocked();
        }
        built = true;
    }

    private static void buildLocked() throws IOException {
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
