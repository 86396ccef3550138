// "Remember this browser": what the sign-in needs of the store of remembered browsers; each engine
// under src/storage/ implements it. Only a SHA-256 of each token is stored. Using a token is one
// atomic step, valid only while the row was made under the account's current session epoch, so
// whatever moves the epoch (sign out everywhere, a password change, disabling) leaves no token that works.
/** A token's row as the rotation keeps it: when it runs out, and which browser it is. */
export interface RememberedToken {
  expiresAt: number;
  /** Random, the same for every successor of the first token; never the token or its hash. */
  browserId: string;
}

export interface RememberedBrowserStore {
  /**
   * Remembers a browser of this account from `createdAt` until `expiresAt` (ms since the epoch),
   * only if the account is enabled and its session epoch is still `sessionEpoch` (the one the
   * sign-in read); whether it did.
   */
  add(userId: number, tokenHash: string, times: { createdAt: number; expiresAt: number }, browser: { sessionEpoch: number; browserId: string }): Promise<boolean>;
  /**
   * Replaces the account's live row `tokenHash` with `nextHash` (same times, epoch and browser),
   * atomically, if the box was ticked after `tickedAfter` (ms; so that a lowered
   * REMEMBER_DEVICE_DAYS applies to browsers remembered already) and the row's epoch is the
   * account's. Undefined when there is no such row of this account (nothing is touched: a row of
   * another account stays as it is). `browserId` names a row that has none (inserted by hand).
   */
  rotate(userId: number, tokenHash: string, nextHash: string, tickedAfter: number, browserId: string): Promise<RememberedToken | undefined>;
  /** Forgets every browser of the account ("sign out everywhere"); returns how many. */
  forgetAccount(userId: number): Promise<number>;
  /** Forgets one browser of the account, whatever token it holds now; returns how many rows. */
  forgetBrowser(userId: number, browserId: string): Promise<number>;
  /** Deletes expired rows; returns how many. */
  pruneExpired(): Promise<number>;
}
