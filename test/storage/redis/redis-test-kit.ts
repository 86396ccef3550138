// Shared by the Redis state tests: the machine's Redis (TEST_REDIS_URL, as in
// test/helpers/test-backend.ts; else 127.0.0.1:6379), a key prefix of each test's own, and a
// sweep after each test so nothing is left behind.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, expect } from 'vitest';
import type { StateBackend } from '../../../src/storage/backend.ts';
import type { SessionRules } from '../../../src/session/auth-session-store.ts';
import { sessionRules } from '../../../src/signin/state.ts';
import { openRedisState } from '../../../src/storage/redis/state.ts';
import type { RedisStateOptions } from '../../../src/storage/redis/state.ts';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const HOUR = 60 * 60 * 1000;
export const TIMES = { idleMs: 30 * 60 * 1000, maxMs: 12 * HOUR };
export const RULES: SessionRules = sessionRules(TIMES, HOUR);

/**
 * Each call of `open` gives a state on the shared Redis under this test's prefix (several calls
 * share it: two "instances"); after the test they are closed and every key under it deleted.
 */
export function useRedisStates() {
  const admin = new Redis(REDIS_URL, { lazyConnect: true });
  let prefix = '';
  const opened: StateBackend[] = [];

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((state) => state.close()));
    if (prefix) {
      const keys = await keysUnder(admin, prefix);
      if (keys.length) await admin.del(...keys);
      expect(await keysUnder(admin, prefix)).toEqual([]);
    }
    prefix = '';
  });
  afterAll(() => admin.disconnect());

  const currentPrefix = () => (prefix ||= `test:${process.pid}:${randomUUID()}:`);

  return {
    admin,
    get prefix() {
      return currentPrefix();
    },
    async open(options: Partial<RedisStateOptions> = {}) {
      const state = await openRedisState(REDIS_URL, { rules: RULES, limitOverrides: {}, keyPrefix: currentPrefix(), ...options });
      opened.push(state);
      return state;
    },
  };
}

export async function keysUnder(client: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys.sort();
}

export { destroySession, getSession, pending, sessionExpiringAt, setSession, signedIn } from '../../helpers/session-calls.ts';
