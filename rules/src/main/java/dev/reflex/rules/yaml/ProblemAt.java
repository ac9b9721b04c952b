package dev.reflex.rules.yaml;

import org.yaml.snakeyaml.nodes.Node;

/**
 * Thrown while a document is read: what is wrong, at which line. The file is the one being read unless the problem
 * names another (a system that extends a definition of another file).
 */
public final class ProblemAt extends RuntimeException {
    private final String file;
    private final int line;

    public ProblemAt(String file, int line, String message) {
        super(message);
        this.file = file;
        this.line = line;
    }

    public ProblemAt(int line, String message) {
        this(null, line, message);
    }

    public ProblemAt(Node node, String message) {
        this(null, YamlReader.line(node), message);
    }

    public int line() {
        return line;
    }

    /** The problem, in {@code file} unless it names its own. */
    public Problem in(String file) {
        return new Problem(this.file == null ? file : this.file, line, getMessage());
    }
}
