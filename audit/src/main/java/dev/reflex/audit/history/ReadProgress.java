package dev.reflex.audit.history;

/** Told how far a long read of history has come, in records; the command line draws it. */
public interface ReadProgress {
    ReadProgress NONE = new ReadProgress() {
        @Override
        public void start(long total) {}

        @Override
        public void update(long done) {}

        @Override
        public void finish(long done) {}
    };

    void start(long total);

    void update(long done);

    void finish(long done);
}
