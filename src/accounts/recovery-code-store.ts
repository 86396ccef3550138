// Where recovery codes are kept, as hashes only (recovery-codes.ts makes them); each engine under
// src/storage/ implements it, spending a code in one atomic step.
export interface RecoveryCodeStore {
  /** Stores these hashes unless the account has (or ever had) codes; whether it did. */
  insertIfNone(userId: number, hashes: string[], now: number): Promise<boolean>;
  /** Deletes every code of the account and stores these instead, in one transaction. */
  replaceAll(userId: number, hashes: string[], now: number): Promise<void>;
  /** Marks this unused code used; true only for the one call that did. */
  markUsed(userId: number, hash: string, now: number): Promise<boolean>;
  /** Undoes that call's mark (used at `usedAt`), if the code is still there and still so marked. */
  markUnused(userId: number, hash: string, usedAt: number): Promise<void>;
  unusedCount(userId: number): Promise<number>;
}
