package dev.reflex.topology;

import dev.reflex.schemas.Register;

/** What a register value means at a point in time. */
public final class Registers {
    private Registers() {}

    /** Whether {@code register} holds no value at {@code nowMillis}: absent, or past its time to live. */
    public static boolean isUnset(Register register, long nowMillis) {
        return register == null
                || register.getExpiresAt() != null && register.getExpiresAt().toEpochMilli() <= nowMillis;
    }
}
