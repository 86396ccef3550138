// "Remember this browser": what the sign-in needs of the store of remembered browsers; each engine
// under src/storage/ implements it. Only a SHA-256 of each token is stored.
export interface RememberedBrowserStore {
  /** Remembers a browser of this account from `createdAt` until `expiresAt` (ms since the epoch). */
  add(userId: number, tokenHash: string, times: { createdAt: number; expiresAt: number }): Promise<void>;
  /**
   * Replaces the account's live row `tokenHash` with `nextHash` (same times), atomically, if the
   * box was ticked after `tickedAfter` (ms; so that a lowered REMEMBER_DEVICE_DAYS applies to
   * browsers remembered already). Returns the expiry, or undefined when there is no such live row
   * of this account (nothing is touched: a row of another account stays as it is).
   */
  rotate(userId: number, tokenHash: string, nextHash: string, tickedAfter: number): Promise<number | undefined>;
  /** Forgets every browser of the account ("sign out everywhere"); returns how many. */
  forgetAccount(userId: number): Promise<number>;
  /** Deletes expired rows; returns how many. */
  pruneExpired(): Promise<number>;
}
