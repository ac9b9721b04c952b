package dev.reflex.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.common.config.ConfigDef;

/**
 * Settings from, in rising precedence: a properties file, environment variables, then flags. The environment
 * variable of a setting is {@code REFLEX_} and its name in capitals with dots and dashes as underscores, without a
 * leading {@code reflex.} ({@code bootstrap.servers} is {@code REFLEX_BOOTSTRAP_SERVERS},
 * {@code reflex.topic.prefix} is {@code REFLEX_TOPIC_PREFIX}).
 */
public final class Settings {
    private Settings() {}

    /** A setting named on the command line or in a file that cannot be used; the message says why. */
    public static final class SettingsException extends RuntimeException {
        public SettingsException(String message) {
            super(message);
        }
    }

    public static String environmentVariable(String setting) {
        String name = setting.startsWith("reflex.") ? setting.substring("reflex.".length()) : setting;
        return "REFLEX_" + name.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    public static Map<String, Object> resolve(
            ConfigDef definition, Path file, Map<String, String> environment, Map<String, String> flags) {
        Map<String, Object> settings = new HashMap<>();
        if (file != null) {
            Properties props = new Properties();
            try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                props.load(reader);
            } catch (NoSuchFileException e) {
                throw new SettingsException("config file not found: " + file);
            } catch (IOException e) {
                throw new SettingsException("cannot read config file " + file + ": " + e.getMessage());
            }
            props.forEach((k, v) -> settings.put(k.toString(), v.toString()));
        }
        for (String name : definition.names()) {
            String value = environment.get(environmentVariable(name));
            if (value != null) {
                settings.put(name, value);
            }
        }
        settings.putAll(flags);
        return settings;
    }

    /** Parses repeated {@code --set key=value} flags. */
    public static Map<String, String> pairs(List<String> assignments) {
        Map<String, String> pairs = new HashMap<>();
        for (String assignment : assignments) {
            int eq = assignment.indexOf('=');
            if (eq <= 0) {
                throw new SettingsException("--set expects key=value, got '" + assignment + "'");
            }
            pairs.put(
                    assignment.substring(0, eq).strip(),
                    assignment.substring(eq + 1).strip());
        }
        return pairs;
    }
}
