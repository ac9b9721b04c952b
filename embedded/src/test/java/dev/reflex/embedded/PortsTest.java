package dev.reflex.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;

import org.junit.jupiter.api.Test;

class PortsTest {
    @Test
    void aFreePortIsBindableAndOutsideTheRangeOutgoingConnectionsTakeTheirPortsFrom() throws Exception {
        int[] ephemeral = Ports.ephemeralRange();
        for (int i = 0; i < 20; i++) {
            int port = Ports.freePort();
            assertThat(port).isLessThan(ephemeral[0]).isGreaterThanOrEqualTo(10_000);
            Ports.requireFree(port, "test");
        }
    }

    @Test
    void aPortInUseIsNamedWithWhatWantedIt() throws Exception {
        try (ServerSocket taken = new ServerSocket(Ports.freePort(), 1, InetAddress.getLoopbackAddress())) {
            assertThatThrownBy(() -> Ports.requireFree(taken.getLocalPort(), "webhook connector"))
                    .isInstanceOf(PortInUseException.class)
                    .hasMessageContaining(String.valueOf(taken.getLocalPort()))
                    .hasMessageContaining("webhook connector");
        }
    }
}
