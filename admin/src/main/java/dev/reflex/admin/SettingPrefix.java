package dev.reflex.admin;

/**
 * A family of settings declared by their prefix (a ConfigDef declares names only): {@code pattern} shows the whole
 * name with its parts in angle brackets, e.g. {@code reflex.normalizer.<source>.<attribute>}. Each deployable lists
 * its prefixes beside its ConfigDef, and the configuration reference documents both.
 */
public record SettingPrefix(String prefix, String pattern, String documentation) {
    public SettingPrefix {
        if (!pattern.startsWith(prefix)) {
            throw new IllegalArgumentException(pattern + " does not start with " + prefix);
        }
    }
}
