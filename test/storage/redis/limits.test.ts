// The named limits on a real Redis, from two instances (two clients) sharing one key prefix:
// exact counts under parallel requests, all-or-none consumes, safe refunds, hashed keys.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { advanceRedisTime } from './advance-redis-time.ts';
import { keysUnder, useRedisStates } from './redis-test-kit.ts';

describe('limits on Redis', () => {
  const redis = useRedisStates();

  it('two instances count together, exactly, under parallel requests', async () => {
    const [here, there] = [await redis.open(), await redis.open()];
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? here : there).limits.consume(['password-account', 'alice@example.com'])),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(15);
    const remaining = results.flatMap((r) => (r.ok ? [r.remaining['password-account']] : [])).sort((a, b) => a! - b!);
    expect(remaining).toEqual(Array.from({ length: 15 }, (_, i) => i)); // each count seen once: 0..14
  });

  it('marks only the first refusal of a window as first, across instances', async () => {
    const overrides = { 'code-account': { points: 1, seconds: 60 } };
    const [here, there] = [await redis.open({ limitOverrides: overrides }), await redis.open({ limitOverrides: overrides })];
    await here.limits.consume(['code-account', '1']);
    const verdicts = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => (i % 2 ? here : there).limits.consume(['code-account', '1'])));
    expect(verdicts.every((v) => !v.ok)).toBe(true);
    expect(verdicts.filter((v) => !v.ok && v.first)).toHaveLength(1);
    const refused = verdicts[0];
    expect(!refused.ok && refused.retryAfterMs).toBeGreaterThan(55_000);
  });

  it('takes from every counter or from none: a refusal gives the others their point back', async () => {
    const { limits } = await redis.open({ limitOverrides: { 'send-account-hour': { points: 5, seconds: 3600 }, 'send-phone-hour': { points: 1, seconds: 3600 } } });
    expect((await limits.consume(['send-account-hour', 'a'], ['send-phone-hour', 'p'])).ok).toBe(true);
    const refused = await limits.consume(['send-account-hour', 'a'], ['send-phone-hour', 'p']);
    expect(refused).toMatchObject({ ok: false, limit: 'send-phone-hour', first: true });
    expect(await limits.consume(['send-account-hour', 'a'])).toMatchObject({ ok: true, remaining: { 'send-account-hour': 3 } });
  });

  it('a refund inside the window gives the point back', async () => {
    const { limits } = await redis.open({ limitOverrides: { 'code-account': { points: 1, seconds: 60 } } });
    await limits.consume(['code-account', '1']);
    await limits.refund(['code-account', '1']);
    expect((await limits.consume(['code-account', '1'])).ok).toBe(true);
    expect((await limits.consume(['code-account', '1'])).ok).toBe(false);
  });

  it('a refund landing after its window ended gives nothing: the next window starts at zero, not below', async () => {
    const { limits } = await redis.open({ limitOverrides: { 'code-account': { points: 2, seconds: 1 } } });
    await limits.consume(['code-account', '1']);
    await sleep(1100); // Redis has expired the window's key
    await limits.refund(['code-account', '1']);
    expect(await keysUnder(redis.admin, redis.prefix)).toEqual([]);
    const taken = [];
    for (let i = 0; i < 3; i++) taken.push((await limits.consume(['code-account', '1'])).ok);
    expect(taken).toEqual([true, true, false]);
  });

  it('penalize starts a cooldown that refuses, and reset forgets it', async () => {
    const { limits } = await redis.open();
    await limits.penalize('send-cooldown', 'account-1');
    expect(await limits.consume(['send-cooldown', 'account-1'])).toMatchObject({ ok: false, limit: 'send-cooldown' });
    await limits.reset(['send-cooldown', 'account-1']);
    expect((await limits.consume(['send-cooldown', 'account-1'])).ok).toBe(true);
  });

  it('a cooldown ends once its time has passed, on Redis\'s clock (advanceRedisTime stands in for waiting)', async () => {
    const { limits } = await redis.open();
    await limits.consume(['send-cooldown', 'account-1'], ['send-account-hour', 'account-1']);
    await advanceRedisTime(redis.admin, redis.prefix, 29_000);
    expect(await limits.consume(['send-cooldown', 'account-1'])).toMatchObject({ ok: false, limit: 'send-cooldown' });
    await advanceRedisTime(redis.admin, redis.prefix, 2_000);
    expect(await limits.consume(['send-cooldown', 'account-1'], ['send-account-hour', 'account-1'])).toMatchObject({
      ok: true,
      remaining: { 'send-account-hour': 3 }, // the hour's window goes on, 31 s shorter
    });
  });

  it('keeps counters under the prefix, hashed, expiring with their window', async () => {
    const { limits } = await redis.open();
    await limits.consume(['password-account', 'alice@example.com'], ['send-phone-hour', '+15555550100']);
    const keys = await keysUnder(redis.admin, redis.prefix);
    expect(keys.join(' ')).not.toMatch(/alice|5555550100/);
    expect(keys.map((k) => k.slice(redis.prefix.length).replace(/:[^:]+$/, ''))).toEqual(['limit:password-account', 'limit:send-phone-hour']);
    const ttls = await Promise.all(keys.map((k) => redis.admin.pttl(k)));
    expect(ttls[0]).toBeGreaterThan(14 * 60_000);
    expect(ttls[1]).toBeGreaterThan(59 * 60_000);
  });
});
