package dev.reflex.embedded;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/** Loopback port checks for the embedded services. */
public final class Ports {
    private Ports() {}

    /** Where {@link #freePort} looks when the kernel's range for outgoing connections cannot be read. */
    private static final int[] DEFAULT_EPHEMERAL = {32768, 60999};

    private static final int LOWEST = 10_000;

    /**
     * A port that was free on 127.0.0.1 a moment ago, chosen below the kernel's range of ports for outgoing
     * connections: a port from that range (what binding port 0 gives) can be taken, between this check and its use,
     * by any client connection the same process opens meanwhile (a broker, a registry and an engine start between the
     * two in the tests), and then the service meant for it cannot start.
     */
    public static int freePort() {
        int below = ephemeralRange()[0];
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int attempt = 0; below - LOWEST > 100 && attempt < 200; attempt++) {
            int port = random.nextInt(LOWEST, below);
            if (bindable(port)) {
                return port;
            }
        }
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port on 127.0.0.1", e);
        }
    }

    /** The kernel's range of local ports for outgoing connections (Linux), or the usual one. */
    static int[] ephemeralRange() {
        try {
            String[] range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))
                    .trim()
                    .split("\\s+");
            return new int[] {Integer.parseInt(range[0]), Integer.parseInt(range[1])};
        } catch (IOException | RuntimeException e) {
            return DEFAULT_EPHEMERAL;
        }
    }

    private static boolean bindable(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Fails with a {@link PortInUseException} naming the port when it cannot be bound on 127.0.0.1. */
    public static void requireFree(int port, String what) {
        if (!bindable(port)) {
            throw new PortInUseException(port, what);
        }
    }
}
