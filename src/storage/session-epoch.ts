// The account's session epoch in SQL, the same on every engine.
/** Moves the epoch on as disabling does (migrations/0002), so no old session matches it. */
export const NEXT_SESSION_EPOCH = '(session_epoch % 2147483646) + 1';
