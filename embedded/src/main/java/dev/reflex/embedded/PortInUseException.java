package dev.reflex.embedded;

/** A port we were asked to listen on is taken by another process. */
public final class PortInUseException extends RuntimeException {
    private final int port;

    public PortInUseException(int port, String what) {
        super("port " + port + " (" + what + ") is already in use; stop whatever holds it or choose another port");
        this.port = port;
    }

    public int port() {
        return port;
    }
}
