// The gate's account cache: a few seconds' reads spared, never longer, never for a missing account.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ACCOUNT_CACHE_MS, createAccountCache } from '../../src/accounts/account-cache.ts';
import type { Account } from '../../src/accounts/account-store.ts';

const alice: Account = { id: 1, email: 'alice@example.com', phone: '+15555550100', passwordHash: 'x', sessionEpoch: 7, mustChangePassword: false };

function countingStore(rows: Map<number, Account>) {
  const store = { reads: 0, findById: async (id: number) => (store.reads++, rows.get(id)) };
  return store;
}

describe('the account cache', () => {
  afterEach(() => vi.useRealTimers());

  it('reads an account once within ACCOUNT_CACHE_MS, afresh after it', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 1_000_000 });
    const rows = new Map([[1, alice]]);
    const store = countingStore(rows);
    const cache = createAccountCache(store);
    expect(cache.fresh(1)).toBeUndefined();
    expect(await cache.load(1)).toEqual(alice);
    expect(cache.fresh(1)).toEqual(alice);
    vi.setSystemTime(1_000_000 + ACCOUNT_CACHE_MS - 1);
    expect(cache.fresh(1)).toEqual(alice);
    rows.set(1, { ...alice, sessionEpoch: 8 }); // disabled meanwhile: the epoch moved
    vi.setSystemTime(1_000_000 + ACCOUNT_CACHE_MS);
    expect(cache.fresh(1)).toBeUndefined();
    expect((await cache.load(1))?.sessionEpoch).toBe(8);
    expect(cache.fresh(1)?.sessionEpoch).toBe(8);
    expect(store.reads).toBe(2);
  });

  it('forgets an account that is gone, and treats a clock that went back as stale', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 5_000_000 });
    const rows = new Map([[1, alice]]);
    const store = countingStore(rows);
    const cache = createAccountCache(store);
    await cache.load(1);
    rows.delete(1);
    expect(await cache.load(1)).toBeUndefined();
    expect(cache.fresh(1)).toBeUndefined();
    rows.set(1, alice);
    await cache.load(1);
    vi.setSystemTime(5_000_000 - 1);
    expect(cache.fresh(1)).toBeUndefined();
    expect(store.reads).toBe(3);
  });

  it('forgets an account on request, and stays bounded', async () => {
    const rows = new Map(Array.from({ length: 10_001 }, (_, i) => [i + 1, { ...alice, id: i + 1 }] as const));
    const store = countingStore(rows);
    const cache = createAccountCache(store);
    await cache.load(1);
    cache.forget(1);
    expect(cache.fresh(1)).toBeUndefined();
    for (let id = 1; id <= 10_001; id++) await cache.load(id);
    expect(cache.fresh(1)).toBeUndefined(); // the oldest went when the 10 001st came
    expect(cache.fresh(2)?.id).toBe(2);
    expect(cache.fresh(10_001)?.id).toBe(10_001);
  });
});
