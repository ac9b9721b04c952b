package dev.reflex.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/** Bearer-token checks shared by Reflex's HTTP endpoints, and the rule that only loopback may go without one. */
public final class BearerTokens {
    private BearerTokens() {}

    /** Whether {@code host} is a loopback address, reachable only from this machine (or this pod). */
    public static boolean isLoopback(String host) {
        return host.equals("127.0.0.1") || host.equals("localhost") || host.equals("::1");
    }

    /**
     * Whether {@code authorization} (an Authorization header, may be null) carries {@code token}; compared in constant
     * time, so the answer's timing tells nothing of the token. A null token admits every request.
     */
    public static boolean admits(String token, String authorization) {
        if (token == null) {
            return true;
        }
        if (authorization == null || !authorization.startsWith("Bearer ")) {
            return false;
        }
        return MessageDigest.isEqual(
                token.getBytes(StandardCharsets.UTF_8),
                authorization.substring("Bearer ".length()).strip().getBytes(StandardCharsets.UTF_8));
    }
}
