// The Redis session store keeps the SQLite store's promises (test/storage/sqlite/session-store.test.ts)
// on a real Redis, with two instances where a race matters.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { SessionRules } from '../../../src/session/auth-session-store.ts';
import {
  HOUR, destroySession, getSession, keysUnder, pending, sessionExpiringAt, setSession, signedIn, useRedisStates,
} from './redis-test-kit.ts';

describe('Redis session store', () => {
  const redis = useRedisStates();
  const key = (name: string) => `${redis.prefix}${name}`;

  it('gives back what it was given, with the cookie expiry, and expires the key with it', async () => {
    const { sessions } = await redis.open();
    const expires = new Date(Date.now() + HOUR);
    await setSession(sessions, 'sid-1', sessionExpiringAt(expires, { userId: 7, note: { step: 'code' } }));
    const session = await getSession(sessions, 'sid-1');
    expect(session).toMatchObject({ userId: 7, note: { step: 'code' } });
    expect(new Date(session!.cookie.expires as unknown as string).getTime()).toBe(expires.getTime());
    const ttl = await redis.admin.pttl(key('session:sid-1'));
    expect(ttl).toBeGreaterThan(HOUR - 5000);
    expect(ttl).toBeLessThanOrEqual(HOUR);
  });

  it('answers null for an unknown session id', async () => {
    const { sessions } = await redis.open();
    expect(await getSession(sessions, 'never-set')).toBeNull();
  });

  it('replaces a session on a second set', async () => {
    const { sessions } = await redis.open();
    await setSession(sessions, 'sid-1', sessionExpiringAt(new Date(Date.now() + HOUR), { step: 1 }));
    await setSession(sessions, 'sid-1', sessionExpiringAt(new Date(Date.now() + 2 * HOUR), { step: 2 }));
    expect(await getSession(sessions, 'sid-1')).toMatchObject({ step: 2 });
    expect(await keysUnder(redis.admin, redis.prefix)).toEqual([key('session:sid-1')]);
    expect(await redis.admin.pttl(key('session:sid-1'))).toBeGreaterThan(HOUR);
  });

  it('never writes back a destroyed session: a late set for its ID is dropped for an hour', async () => {
    const { sessions } = await redis.open();
    await setSession(sessions, 'sid-1', sessionExpiringAt(new Date(Date.now() + HOUR), { step: 1 }));
    await destroySession(sessions, 'sid-1');
    expect(await getSession(sessions, 'sid-1')).toBeNull();
    await setSession(sessions, 'sid-1', sessionExpiringAt(new Date(Date.now() + HOUR), { step: 2 }));
    expect(await getSession(sessions, 'sid-1')).toBeNull();
    expect(await redis.admin.exists(key('session:sid-1'))).toBe(0);
    expect(await redis.admin.pttl(key('ended:sid-1'))).toBeGreaterThan(HOUR - 5000);
    // a brand-new ID is stored as usual
    await setSession(sessions, 'sid-2', sessionExpiringAt(new Date(Date.now() + HOUR), { step: 3 }));
    expect(await getSession(sessions, 'sid-2')).toMatchObject({ step: 3 });
  });

  it('destroy tombstones an ID whose key already expired, so a request still holding it cannot write it back', async () => {
    const { sessions } = await redis.open();
    await destroySession(sessions, 'gone');
    await setSession(sessions, 'gone', sessionExpiringAt(new Date(Date.now() + HOUR)));
    expect(await getSession(sessions, 'gone')).toBeNull();
  });

  it('claim: of many requests on two instances racing to end one session, exactly one wins', async () => {
    const [one, two] = [await redis.open(), await redis.open()];
    await setSession(one.sessions, 'sid-1', sessionExpiringAt(new Date(Date.now() + HOUR)));
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? one : two).sessions.claim('sid-1', `next-${i}`)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await one.sessions.isLive('sid-1')).toBe(false);
    expect(await one.sessions.claim('never-stored')).toBe(false);
    // the loser's claim left no tombstone of its own: the winner's successor is the one recorded
    const winner = results.indexOf(true);
    expect(await redis.admin.get(key('ended:sid-1'))).toBe(`next-${winner}`);
  });

  it('ends a rotated session and its successor not written yet: the successor\'s later set is dropped', async () => {
    const { sessions } = await redis.open();
    await setSession(sessions, 'old', sessionExpiringAt(null, pending(1)));
    expect(await sessions.claim('old', 'new')).toBe(true);
    // @fastify/session's regenerate destroys the old ID after the claim: the successor must survive it
    await destroySession(sessions, 'old');
    await sessions.endWithSuccessors('old');
    await setSession(sessions, 'new', sessionExpiringAt(null, signedIn(1)));
    expect(await getSession(sessions, 'new')).toBeNull();
  });

  it('follows a chain of rotations to its end, written links and not', async () => {
    const { sessions } = await redis.open();
    await setSession(sessions, 'a', sessionExpiringAt(null, pending(1)));
    await sessions.claim('a', 'b');
    await setSession(sessions, 'b', sessionExpiringAt(null, pending(1)));
    await sessions.claim('b', 'c');
    await sessions.endWithSuccessors('a');
    await setSession(sessions, 'c', sessionExpiringAt(null, signedIn(1)));
    for (const sid of ['a', 'b', 'c']) expect(await sessions.isLive(sid)).toBe(false);
    expect(await redis.admin.exists(key('account:1'))).toBe(0);
  });

  it('ends every session of one account in one step, pending and signed in, and none of another', async () => {
    const { sessions } = await redis.open();
    await setSession(sessions, 'a-1', sessionExpiringAt(null, signedIn(1)));
    await setSession(sessions, 'a-2', sessionExpiringAt(null, pending(1)));
    await setSession(sessions, 'b-1', sessionExpiringAt(null, signedIn(2)));
    await setSession(sessions, 'anon', sessionExpiringAt(null));
    expect(await sessions.endAllForAccount(1)).toBe(2);
    expect(await sessions.endAllForAccount(1)).toBe(0);
    expect((await keysUnder(redis.admin, `${redis.prefix}session:`)).sort()).toEqual([key('session:anon'), key('session:b-1')]);
    await setSession(sessions, 'a-1', sessionExpiringAt(null, signedIn(1)));
    expect(await sessions.isLive('a-1')).toBe(false);
  });

  it('keeps the account index as long as its longest session, and in step when a session changes hands', async () => {
    const { sessions } = await redis.open();
    await setSession(sessions, 'signed', sessionExpiringAt(null, signedIn(1))); // 30 min idle + 15 min grace
    await setSession(sessions, 'pend', sessionExpiringAt(null, pending(1))); // 10 min + 15 min grace
    expect(await redis.admin.pttl(key('account:1'))).toBeGreaterThanOrEqual(await redis.admin.pttl(key('session:signed')));
    await setSession(sessions, 'pend', sessionExpiringAt(null, pending(2)));
    expect((await redis.admin.smembers(key('account:1'))).sort()).toEqual(['signed']);
    await destroySession(sessions, 'signed');
    expect(await redis.admin.smembers(key('account:1'))).toEqual([]);
    expect(await sessions.endAllForAccount(2)).toBe(1);
  });

  it('isLive: true for a stored session only', async () => {
    const { sessions } = await redis.open();
    await setSession(sessions, 'sid-1', sessionExpiringAt(new Date(Date.now() + HOUR)));
    expect(await sessions.isLive('sid-1')).toBe(true);
    expect(await sessions.isLive('sid-2')).toBe(false);
    await destroySession(sessions, 'sid-1');
    expect(await sessions.isLive('sid-1')).toBe(false);
  });

  it('lets Redis expire a session at its expiry, and writes none that has already expired', async () => {
    const { sessions } = await redis.open();
    await setSession(sessions, 'short', sessionExpiringAt(new Date(Date.now() + 150), { userId: 7 }));
    expect(await sessions.isLive('short')).toBe(true);
    await sleep(300);
    expect(await getSession(sessions, 'short')).toBeNull();
    expect(await sessions.isLive('short')).toBe(false);

    await setSession(sessions, 'stale', sessionExpiringAt(new Date(Date.now() - 1000)));
    expect(await redis.admin.exists(key('session:stale'))).toBe(0);
    await setSession(sessions, 'live', sessionExpiringAt(new Date(Date.now() + HOUR)));
    await setSession(sessions, 'live', sessionExpiringAt(new Date(Date.now() - 1000)));
    expect(await sessions.isLive('live')).toBe(false);
  });

  it('drops expired members from an account index when a new one joins', async () => {
    // Rules with the expiry in the session itself, to have a signed-in session expire in a blink.
    const rules: SessionRules = { expiresAt: (s) => (s as unknown as { until: number }).until, accountOf: (s) => s.signedIn?.userId };
    const { sessions } = await redis.open({ rules });
    await setSession(sessions, 'brief', { ...sessionExpiringAt(null, signedIn(3)), until: Date.now() + 100 });
    await sleep(250);
    await setSession(sessions, 'lasting', { ...sessionExpiringAt(null, signedIn(3)), until: Date.now() + HOUR });
    expect(await redis.admin.smembers(key('account:3'))).toEqual(['lasting']);
  });

  it('gives a session without a cookie expiry the default lifetime', async () => {
    const { sessions } = await redis.open();
    await setSession(sessions, 'browser-session', sessionExpiringAt(null, { userId: 7 }));
    const ttl = await redis.admin.pttl(key('session:browser-session'));
    expect(ttl).toBeGreaterThan(HOUR - 5000);
    expect(ttl).toBeLessThanOrEqual(HOUR);
  });

  it('stores compact JSON: no whitespace, and of the cookie only its expiry', async () => {
    const { sessions } = await redis.open();
    await setSession(sessions, 'sid-1', sessionExpiringAt(new Date(Date.now() + HOUR), { userId: 7 }));
    const data = (await redis.admin.hget(key('session:sid-1'), 'data'))!;
    const stored = JSON.parse(data);
    expect(data).toBe(JSON.stringify(stored));
    expect(Object.keys(stored.cookie).sort()).toEqual(['expires', 'originalMaxAge']);
  });

  it('reads unreadable data as absent instead of failing the request', async () => {
    const { sessions } = await redis.open();
    await redis.admin.hset(key('session:garbled'), 'data', '{"trunc');
    await redis.admin.hset(key('session:number'), 'data', '42');
    expect(await getSession(sessions, 'garbled')).toBeNull();
    expect(await getSession(sessions, 'number')).toBeNull();
  });

  it('hands a store error that is a bug to the callback as it is, not as an outage', async () => {
    const { sessions } = await redis.open();
    await redis.admin.set(key('session:wrong-type'), 'a string, not a hash');
    const error = await getSession(sessions, 'wrong-type').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/WRONGTYPE/);
    expect((error as Error).name).not.toBe('BackendUnavailableError');
    // ioredis puts the failed command's arguments on the error: here, the session with its request ID
    const written = await setSession(sessions, 'wrong-type', sessionExpiringAt(null, { pending: { userId: 1, epoch: 1, renewedAt: Date.now() }, verifyCode: { requestId: 'req-4f1d9c', sentAt: Date.now() } }))
      .then(() => new Error('written'), (e: Error) => e);
    expect(written.message).toMatch(/WRONGTYPE/);
    expect(JSON.stringify({ ...written })).toMatch(/^\{"command":\{"name":"eval(sha)?"\}\}$/);
    expect(JSON.stringify({ ...written })).not.toContain('req-4f1d9c');
  });
});
