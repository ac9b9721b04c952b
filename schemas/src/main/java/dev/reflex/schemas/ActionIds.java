package dev.reflex.schemas;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Action ids derived from what caused the action, so a replay or a retry of the same event under the same rule
 * version produces the same id, which actors use as an idempotency key.
 */
public final class ActionIds {
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by the Java platform", e);
        }
    });

    private ActionIds() {}

    /** @param position the action's index in the rule's list of actions */
    public static String of(String eventId, String ruleId, String ruleVersion, int position) {
        return hash(eventId, ruleId, ruleVersion, Integer.toString(position));
    }

    /** A 32-hex-digit hash of the parts, in order; the same parts always give the same id. */
    public static String hash(String... parts) {
        MessageDigest sha256 = SHA256.get();
        sha256.reset();
        // Length-prefixed parts: ("a:b", "c") and ("a", "b:c") must not collide.
        byte[] length = new byte[4];
        for (String part : parts) {
            byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
            length[0] = (byte) (bytes.length >>> 24);
            length[1] = (byte) (bytes.length >>> 16);
            length[2] = (byte) (bytes.length >>> 8);
            length[3] = (byte) bytes.length;
            sha256.update(length);
            sha256.update(bytes);
        }
        return HexFormat.of().formatHex(sha256.digest(), 0, 16);
    }
}
