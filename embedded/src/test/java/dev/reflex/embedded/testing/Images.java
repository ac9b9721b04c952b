package dev.reflex.embedded.testing;

import java.io.File;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
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
    /** Jars a test's class path holds that the broker does not use, the largest first (RocksDB alone is 60 MB). */
    private static final List<String> NOT_THE_BROKERS = List.of(
            "rocksdbjni",
            "reflex-",
            "jmh-",
            "testcontainers",
            "docker-java",
            "junit",
            "opentest4j",
            "assertj",
            "archunit",
            "byte-buddy",
            "javalin",
            "jetty",
            "kotlin",
            "duct-tape",
            "jna");

    private static boolean built;
    private static boolean builtDemo;

    private Images() {}

    /** The checkout's root: the nearest directory up from the working directory with the Dockerfile and the Maven wrapper. */
    public static Path repo() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("Dockerfile")) && Files.isRegularFile(dir.resolve("mvnw"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no Reflex checkout (a directory with Dockerfile and mvnw) at or above "
                + Path.of("").toAbsolutePath());
    }

    /**
     * Builds the images once per JVM. Test JVMs of several modules may build at the same time (the build runs modules in
     * parallel): a lock file under the system's temporary directory lets one build at a time, so the Java base image is
     * made once.
     */
    public static synchronized void build() throws IOException {
        build(true);
    }

    /**
     * The images the cluster fault run needs: Reflex's, the broker's and the registry's, without the demo image (which
     * needs the dev module's artifacts, so a module that does not wait for those can still build these).
     */
    public static synchronized void buildWithoutDemo() throws IOException {
        build(false);
    }

    private static void build(boolean demo) throws IOException {
        if (built && (builtDemo || !demo)) {
            return;
        }
        Path lock = Path.of(System.getProperty("java.io.tmpdir"), "reflex-images.lock");
        try (FileChannel channel = FileChannel.open(lock, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock ignored = channel.lock()) {
            buildLocked(demo);
        }
        built = true;
        builtDemo |= demo;
    }

    private static void buildLocked(boolean withDemo) throws IOException {
        Path repo = repo();
        buildBase();
        // the production stage by name: Docker's legacy builder builds every stage up to the target, and the demo stage
        // needs the dev module's artifacts
        Docker.run(
                        Duration.ofMinutes(5),
                        Map.of(),
                        repo,
                        "docker",
                        "build",
                        "-q",
                        "--build-arg",
                        "BASE_IMAGE=" + BASE,
                        "--target",
                        "reflex",
                        "-t",
                        REFLEX,
                        ".")
                .orThrow("the reflex image");
        if (withDemo) {
            Docker.run(
                            Duration.ofMinutes(5),
                            Map.of(),
                            repo,
                            "docker",
                            "build",
                            "-q",
                            "--build-arg",
                            "BASE_IMAGE=" + BASE,
                            "--target",
                            "demo",
                            "-t",
                            DEMO,
                            ".")
                    .orThrow("the demo image");
        }
        Path docker = repo.resolve("deploy/src/test/docker");
        buildFromContext(docker.resolve("kafka"), KAFKA, "the stand-in broker image", context -> {
            Files.copy(docker.resolve("kafka/run"), context.resolve("run"));
            // the broker's jars: those on this JVM's class path (a test's, with the embedded broker's dependencies)
            Path lib = Files.createDirectories(context.resolve("lib"));
            for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
                Path jar = Path.of(entry);
                if (entry.endsWith(".jar")
                        && Files.isRegularFile(jar)
                        && !Files.exists(lib.resolve(jar.getFileName()))
                        && NOT_THE_BROKERS.stream().noneMatch(jar.getFileName().toString()::startsWith)) {
                    Files.copy(jar, lib.resolve(jar.getFileName()));
                }
            }
        });
        buildFromContext(
                docker.resolve("registry"),
                REGISTRY,
                "the stand-in registry image",
                context -> copy(ApicurioRegistry.distribution().getParent(), context.resolve("apicurio")));
    }

    private static void buildBase() {
        if (Docker.run(Duration.ofSeconds(30), "docker", "image", "inspect", BASE)
                        .exit()
                != 0) {
            Path repo = repo();
            Docker.run(
                            Duration.ofMinutes(5),
                            Map.of(),
                            repo,
                            "bash",
                            repo.resolve("deploy/src/test/docker/jre-base.sh").toString(),
                            BASE)
                    .orThrow("the Java base image");
        }
    }

    private interface Context {
        void fill(Path context) throws IOException;
    }

    /** Builds {@code tag} from the Dockerfile in {@code dockerDir} and a temporary context {@code files} fills. */
    private static void buildFromContext(Path dockerDir, String tag, String what, Context files) throws IOException {
        Path context = Files.createTempDirectory("reflex-image");
        try {
            Files.copy(dockerDir.resolve("Dockerfile"), context.resolve("Dockerfile"));
            files.fill(context);
            Docker.run(
                            Duration.ofMinutes(5),
                            Map.of(),
                            context,
                            "docker",
                            "build",
                            "-q",
                            "--build-arg",
                            "BASE_IMAGE=" + BASE,
                            "-t",
                            tag,
                            ".")
                    .orThrow(what);
        } finally {
            try (Stream<Path> all = Files.walk(context)) {
                all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
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
