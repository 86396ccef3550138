// "Your sessions" on the Redis store: the SQLite store's cases (test/session/account-sessions.test.ts)
// on a real Redis, with two instances where a race matters.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { SessionRules } from '../../../src/session/auth-session-store.ts';
import { sidsOf } from '../../helpers/session-calls.ts';
import { HOUR, getSession, keysUnder, pending, sessionExpiringAt, setSession, signedIn, useRedisStates } from './redis-test-kit.ts';

describe('Redis session store: an account’s sessions', () => {
  const redis = useRedisStates();
  const key = (name: string) => `${redis.prefix}${name}`;
  const inAnHour = (data: Record<string, unknown> = {}) => sessionExpiringAt(new Date(Date.now() + HOUR), data);

  /** Account 1: a signed-in and a pending session; account 2: one; and an anonymous one. */
  const seed = async () => {
    const [one, two] = [await redis.open(), await redis.open()];
    await setSession(one.sessions, 'a-signed', inAnHour(signedIn(1)));
    await setSession(two.sessions, 'a-pending', inAnHour(pending(1)));
    await setSession(one.sessions, 'b-signed', inAnHour(signedIn(2)));
    await setSession(two.sessions, 'anonymous', inAnHour());
    return [one.sessions, two.sessions];
  };

  it('lists the account’s live sessions, signed in and pending, with their data, and nobody else’s', async () => {
    const [one, two] = await seed();
    const listed = await two.listForAccount(1);
    expect(sidsOf(listed)).toEqual(['a-pending', 'a-signed']);
    expect(listed.find(({ sid }) => sid === 'a-signed')!.session).toMatchObject({ signedIn: { userId: 1 } });
    expect(listed.find(({ sid }) => sid === 'a-pending')!.session).toMatchObject({ pending: { userId: 1 } });
    expect(sidsOf(await one.listForAccount(2))).toEqual(['b-signed']);
    expect(await one.listForAccount(3)).toEqual([]);
  });

  it('does not list an expired, ended or unreadable session, nor one the index names wrongly', async () => {
    // Rules with the expiry in the session itself, to have a signed-in session expire in a blink.
    const rules: SessionRules = { expiresAt: (s) => (s as unknown as { until: number }).until, accountOf: (s) => s.signedIn?.userId };
    const { sessions } = await redis.open({ rules });
    await setSession(sessions, 'brief', { ...sessionExpiringAt(null, signedIn(1)), until: Date.now() + 100 });
    await setSession(sessions, 'claimed', { ...sessionExpiringAt(null, signedIn(1)), until: Date.now() + HOUR });
    await setSession(sessions, 'tombstoned', { ...sessionExpiringAt(null, signedIn(1)), until: Date.now() + HOUR });
    await setSession(sessions, 'garbled', { ...sessionExpiringAt(null, signedIn(1)), until: Date.now() + HOUR });
    await setSession(sessions, 'elsewhere', { ...sessionExpiringAt(null, signedIn(2)), until: Date.now() + HOUR });
    await sleep(250);
    await sessions.claim('claimed', 'next');
    // left beside its tombstone, and an index naming another account's session (by hand: the
    // scripts never leave either)
    await redis.admin.set(key('ended:tombstoned'), '', 'PX', HOUR);
    await redis.admin.hset(key('session:garbled'), 'data', '{"trunc');
    await redis.admin.sadd(key('account:1'), 'elsewhere');
    expect(await sessions.listForAccount(1)).toEqual([]);
    // nor is such a session ended through the wrong account
    expect(await sessions.endForAccount(1, 'elsewhere')).toBe(false);
    expect(await sessions.endAllForAccount(1, 'tombstoned')).toBe(1); // garbled, stored: a live key
    expect(await sessions.isLive('elsewhere')).toBe(true);
    expect(await redis.admin.smembers(key('account:1'))).toEqual(['tombstoned']);
  });

  it('endForAccount ends that one session only when it is the account’s, and for good', async () => {
    const [one, two] = await seed();
    expect(await one.endForAccount(1, 'b-signed')).toBe(false);
    expect(await one.endForAccount(1, 'anonymous')).toBe(false);
    expect(await one.endForAccount(1, 'never-stored')).toBe(false);
    expect(await redis.admin.exists(key('ended:b-signed'), key('ended:anonymous'), key('ended:never-stored'))).toBe(0);
    for (const sid of ['b-signed', 'anonymous']) expect(await one.isLive(sid)).toBe(true);

    expect(await two.endForAccount(1, 'a-signed')).toBe(true);
    expect(await one.endForAccount(1, 'a-signed')).toBe(false);
    expect(sidsOf(await one.listForAccount(1))).toEqual(['a-pending']);
    expect(await redis.admin.smembers(key('account:1'))).toEqual(['a-pending']);
    expect(await redis.admin.pttl(key('ended:a-signed'))).toBeGreaterThan(HOUR - 5000);
    await setSession(one, 'a-signed', inAnHour(signedIn(1)));
    expect(await getSession(one, 'a-signed')).toBeNull();
  });

  it('endAllForAccount ends every session of the account but the one kept, and none of another', async () => {
    const [one, two] = await seed();
    expect(await two.endAllForAccount(1, 'a-signed')).toBe(1);
    expect(sidsOf(await one.listForAccount(1))).toEqual(['a-signed']);
    expect(await redis.admin.smembers(key('account:1'))).toEqual(['a-signed']);
    await setSession(one, 'a-pending', inAnHour(pending(1)));
    expect(await one.isLive('a-pending')).toBe(false);
    expect(await one.endAllForAccount(1, 'b-signed')).toBe(1);
    expect(await one.endAllForAccount(1)).toBe(0);
    expect((await keysUnder(redis.admin, `${redis.prefix}session:`)).sort()).toEqual([key('session:anonymous'), key('session:b-signed')]);
    expect(await redis.admin.exists(key('account:1'))).toBe(0);
  });

  it('endAllForAccount tombstones an indexed ID whose key just expired, like destroy', async () => {
    const rules: SessionRules = { expiresAt: (s) => (s as unknown as { until: number }).until, accountOf: (s) => s.signedIn?.userId };
    const { sessions } = await redis.open({ rules });
    await setSession(sessions, 'brief', { ...sessionExpiringAt(null, signedIn(1)), until: Date.now() + 100 });
    await setSession(sessions, 'lasting', { ...sessionExpiringAt(null, signedIn(1)), until: Date.now() + HOUR });
    await sleep(250);
    expect(await sessions.endAllForAccount(1)).toBe(1);
    // a request that read it just before it expired renews it: dropped
    await setSession(sessions, 'brief', { ...sessionExpiringAt(null, signedIn(1)), until: Date.now() + HOUR });
    expect(await sessions.isLive('brief')).toBe(false);
  });

  it('sets racing the ends from another instance never bring an ended session back', async () => {
    const [one, two] = [(await redis.open()).sessions, (await redis.open()).sessions];
    for (let round = 0; round < 30; round++) {
      const [single, all, kept] = [`one-${round}`, `all-${round}`, `kept-${round}`];
      for (const sid of [single, all, kept]) await setSession(one, sid, inAnHour(signedIn(1)));
      const [ended] = await Promise.all([
        two.endForAccount(1, single),
        setSession(one, single, inAnHour(signedIn(1))),
        setSession(one, all, inAnHour(signedIn(1))),
        setSession(one, kept, inAnHour(signedIn(1))),
      ]);
      expect(ended, `round ${round}`).toBe(true);
      await Promise.all([two.endAllForAccount(1, kept), setSession(one, all, inAnHour(signedIn(1))), setSession(one, single, inAnHour(signedIn(1)))]);
      expect(sidsOf(await one.listForAccount(1)), `round ${round}`).toEqual([kept]);
      for (const sid of [single, all]) expect(await one.isLive(sid), `round ${round}`).toBe(false);
      await one.endAllForAccount(1);
    }
  });

  it('every session the account had when endAllForAccount started ends, however many are being rewritten', async () => {
    const [one, two] = [(await redis.open()).sessions, (await redis.open()).sessions];
    const sids = Array.from({ length: 40 }, (_, i) => `many-${i}`);
    for (const sid of sids) await setSession(one, sid, inAnHour(signedIn(1)));
    const [ended] = await Promise.all([
      two.endAllForAccount(1),
      ...sids.map((sid) => setSession(one, sid, inAnHour(signedIn(1)))),
      setSession(one, 'fresh', inAnHour(signedIn(1))), // created meanwhile: may or may not survive
    ]);
    expect(ended).toBeGreaterThanOrEqual(sids.length);
    for (const sid of sids) expect(await one.isLive(sid), sid).toBe(false);
    expect(sidsOf(await one.listForAccount(1))).toEqual((await one.isLive('fresh')) ? ['fresh'] : []);
  });
});
