package dev.reflex.topology;

/** Every evaluation test again with reflex.evaluate.partitioning=subject (the default, auto, is EvaluateTest's). */
class EvaluateBySubjectTest extends EvaluateTest {
    @Override
    TopologyOptions options() {
        return super.options().withPartitioning(Partitioning.SUBJECT);
    }
}
