package dev.reflex.rules.expr;

import java.io.Serializable;
import java.util.Map;
import java.util.Set;

import org.mvel2.MVEL;
import org.mvel2.ParserConfiguration;
import org.mvel2.ParserContext;
import org.mvel2.integration.impl.MapVariableResolverFactory;
import org.mvel2.optimizers.OptimizerFactory;

/** One guarded, compiled expression. Compiled once per rule version; evaluated per event. */
public final class Expression {
    private final String source;
    private final Serializable compiled;
    private final Set<String> roots;
    /** The same expression without MVEL, when it is simple enough; null otherwise. */
    private final FastExpression fast;

    private Expression(String source, Serializable compiled) {
        this.source = source;
        this.compiled = compiled;
        this.roots = ExpressionGuard.roots(source);
        this.fast = FastExpression.of(source);
    }

    /** The variables it reads. */
    public Set<String> roots() {
        return roots;
    }

    /** Compiles with a class loader that can load nothing: expressions have no business with classes. */
    private static final ParserConfiguration CONFIGURATION = new ParserConfiguration();

    static {
        // No bytecode generation: MVEL's default optimizer compiles hot expressions into classes through the parser's
        // class loader. Reflective accessors keep evaluation free of class definition, and of mvel#98's races there.
        OptimizerFactory.setDefaultOptimizer(OptimizerFactory.SAFE_REFLECTIVE);
        CONFIGURATION.setClassLoader(new ClassLoader(null) {
            @Override
            protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
                throw new ClassNotFoundException(name);
            }
        });
    }

    public static Expression compile(String source) {
        String admitted = ExpressionGuard.admit(source);
        ReadOnlyViews.install();
        try {
            return new Expression(source, MVEL.compileExpression(admitted, new ParserContext(CONFIGURATION)));
        } catch (RuntimeException e) {
            throw new RuleException("", "does not compile: " + firstLine(e.getMessage()));
        }
    }

    /** The value; an expression in {@link FastExpression}'s subset is decided without MVEL where it can be. */
    public Object evaluate(Map<String, Object> variables) {
        if (fast != null) {
            Object decided = fast.evaluate(variables);
            if (decided != FastExpression.UNDECIDED) {
                return decided;
            }
        }
        return evaluateWithMvel(variables);
    }

    /**
     * What MVEL makes of it: also what the fast form is held to. MVEL builds parts of a compiled expression lazily on
     * first use, without synchronization (mvel#98), so evaluation of one expression is serialized; different
     * expressions run in parallel.
     */
    Object evaluateWithMvel(Map<String, Object> variables) {
        synchronized (this) {
            // resolvers that read the map as it is: no copying of every variable back into it afterwards, as
            // MVEL.executeExpression(compiled, Map) does (expressions cannot assign)
            return MVEL.executeExpression(compiled, new MapVariableResolverFactory(variables));
        }
    }

    public String source() {
        return source;
    }

    public static String firstLine(String message) {
        if (message == null) {
            return "unknown error";
        }
        int newline = message.indexOf('\n');
        return (newline < 0 ? message : message.substring(0, newline)).strip();
    }
}
