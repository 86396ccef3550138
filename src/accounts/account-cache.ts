import type { Account, AccountStore } from './account-store.ts';

/**
 * How long the sign-in gate trusts an account it has read. Disabling an account (however it is
 * done: SQL, a trigger, another instance) moves its session epoch; every instance sees that within
 * this time, so a disabled account's sessions end within 5 seconds. The database engines also end
 * them at once, by trigger; sessions kept in Redis rely on this.
 */
export const ACCOUNT_CACHE_MS = 4000;
const MAX_ENTRIES = 10_000;

export interface AccountCache {
  /** The cached account when it is still fresh; undefined when it must be read. */
  fresh(id: number): Account | undefined;
  /** Reads the account afresh and caches it. Undefined: disabled or gone (and forgotten). */
  load(id: number): Promise<Account | undefined>;
  /** Forgets an account this instance has just changed. */
  forget(id: number): void;
}

/** A per-process read cache in front of `findById` for the gate; every other step reads afresh. */
export function createAccountCache(store: Pick<AccountStore, 'findById'>, ttlMs = ACCOUNT_CACHE_MS): AccountCache {
  const entries = new Map<number, { account: Account; readAt: number }>();

  const fresh = (id: number): Account | undefined => {
    const entry = entries.get(id);
    if (!entry) return undefined;
    const age = Date.now() - entry.readAt;
    // A clock that went backwards counts as stale too.
    if (age >= 0 && age < ttlMs) return entry.account;
    entries.delete(id);
    return undefined;
  };

  return {
    fresh,
    async load(id) {
      const readAt = Date.now();
      const account = await store.findById(id);
      entries.delete(id);
      if (!account) return undefined;
      // Insertion order is age order: the oldest entry goes first when the map is full.
      if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value as number);
      entries.set(id, { account, readAt });
      return account;
    },
    forget: (id) => void entries.delete(id),
  };
}
