// The PostgreSQL session store: the SQLite store's cases (test/storage/sqlite/session-store.test.ts),
// on two pools standing for two app processes. The races are in session-races.test.ts.
import { describe, expect, it } from 'vitest';
import { createPool } from '../../../src/storage/postgres/pool.ts';
import { createPostgresSessionStore } from '../../../src/storage/postgres/session-store.ts';
import { sql } from './fresh-database.ts';
import {
  destroySession, getSession, HOUR, inAnHour, pending, rules, sessionExpiringAt, setSession, signedIn, useSessionDatabase,
} from './session-helpers.ts';

describe('PostgreSQL session store', () => {
  const db = useSessionDatabase();
  const { newSid, rowOf } = db;

  it('gives back what it was given, with the cookie expiry, on either instance', async () => {
    const sid = newSid();
    const expires = new Date(Date.now() + HOUR);
    await setSession(db.store, sid, sessionExpiringAt(expires, { userId: 7, note: { step: 'code' } }));
    const session = await getSession(db.other, sid);
    expect(session).toMatchObject({ userId: 7, note: { step: 'code' } });
    expect(new Date(session!.cookie.expires as unknown as string).getTime()).toBe(expires.getTime());
    expect(Number((await rowOf(sid))!.expires_at)).toBe(expires.getTime());
  });

  it('answers null for an unknown ID, and replaces a session on a second set', async () => {
    expect(await getSession(db.store, 'never-set')).toBeNull();
    const sid = newSid();
    await setSession(db.store, sid, inAnHour({ step: 1 }));
    await setSession(db.other, sid, inAnHour({ step: 2 }));
    expect(await getSession(db.store, sid)).toMatchObject({ step: 2 });
  });

  it('stores compact JSON with only the cookie expiry, and the account the rules name', async () => {
    const sid = newSid();
    await setSession(db.store, sid, inAnHour(pending(1)));
    const row = (await rowOf(sid))!;
    expect(row.data).toBe(JSON.stringify(JSON.parse(row.data)));
    expect(Object.keys(JSON.parse(row.data).cookie).sort()).toEqual(['expires', 'originalMaxAge']);
    expect(row.user_id).toBe(1);
    // an account that does not exist is stored as none (the column references users)
    await setSession(db.store, sid, inAnHour(signedIn(999)));
    expect((await rowOf(sid))!.user_id).toBeNull();
  });

  it('never writes back a destroyed session: a late set for its ID is dropped, on any instance', async () => {
    const sid = newSid();
    await setSession(db.store, sid, inAnHour({ step: 1 }));
    await destroySession(db.other, sid);
    expect(await getSession(db.store, sid)).toBeNull();
    await setSession(db.store, sid, inAnHour({ step: 2 }));
    expect(await rowOf(sid)).toBeUndefined();
    const fresh = newSid();
    await setSession(db.store, fresh, inAnHour({ step: 3 }));
    expect(await getSession(db.other, fresh)).toMatchObject({ step: 3 });
  });

  it('claim: of many requests on two instances racing to end one session, exactly one wins', async () => {
    const sid = newSid();
    await setSession(db.store, sid, inAnHour());
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? db.store : db.other).claim(sid, `next-${i}`)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await db.store.claim('never-stored')).toBe(false);
    expect(await db.store.isLive(sid)).toBe(false);
  });

  it('isLive: true for a stored, unexpired session only', async () => {
    const sid = newSid();
    expect(await db.store.isLive(sid)).toBe(false);
    await setSession(db.store, sid, inAnHour(signedIn(1)));
    expect(await db.other.isLive(sid)).toBe(true);
    await setSession(db.store, sid, sessionExpiringAt(new Date(Date.now() - 1000)));
    expect(await db.other.isLive(sid)).toBe(false);
  });

  it('reads an expired session as absent before it is pruned; prune deletes only expired rows and old tombstones', async () => {
    const stale = newSid('stale');
    const live = newSid('live');
    await setSession(db.store, stale, sessionExpiringAt(new Date(Date.now() - 1000), { userId: 7 }));
    await setSession(db.store, live, inAnHour());
    expect(await rowOf(stale)).toBeDefined();
    expect(await getSession(db.store, stale)).toBeNull();
    await sql(db.url, "INSERT INTO ended_sessions (sid, ended_at) VALUES ('old-tomb', $1), ('new-tomb', $2)", [Date.now() - 2 * HOUR, Date.now()]);
    expect(await db.store.pruneExpired()).toBeGreaterThanOrEqual(1);
    expect(await rowOf(stale)).toBeUndefined();
    expect(await rowOf(live)).toBeDefined();
    expect((await sql(db.url, "SELECT sid FROM ended_sessions WHERE sid LIKE '%-tomb'")).map((r) => r.sid)).toEqual(['new-tomb']);
  });

  it('gives a session without a cookie expiry the default lifetime', async () => {
    const sid = newSid();
    const before = Date.now();
    await setSession(db.store, sid, sessionExpiringAt(null));
    const expiresAt = Number((await rowOf(sid))!.expires_at);
    expect(expiresAt).toBeGreaterThanOrEqual(before + HOUR);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + HOUR);
  });

  it('reads an unreadable row as absent instead of failing the request', async () => {
    await sql(db.url, "INSERT INTO sessions (sid, data, expires_at) VALUES ('garbled', '{\"trunc', $1)", [Date.now() + HOUR]);
    expect(await getSession(db.store, 'garbled')).toBeNull();
  });

  it('ends every session of one account in one step, and none of another', async () => {
    const [a1, a2, b1] = [newSid('a'), newSid('a'), newSid('b')];
    await setSession(db.store, a1, sessionExpiringAt(null, signedIn(1)));
    await setSession(db.other, a2, sessionExpiringAt(null, pending(1)));
    await setSession(db.store, b1, sessionExpiringAt(null, signedIn(2)));
    expect(await db.other.endAllForAccount(1)).toBe(2);
    expect(await db.store.isLive(b1)).toBe(true);
    await setSession(db.store, a1, sessionExpiringAt(null, signedIn(1)));
    expect(await rowOf(a1)).toBeUndefined();
  });

  it('endWithSuccessors ends the whole rotation chain, including a successor not written yet', async () => {
    const [first, second, third] = [newSid('chain'), newSid('chain'), newSid('chain')];
    await setSession(db.store, first, inAnHour(pending(1)));
    expect(await db.store.claim(first, second)).toBe(true);
    await setSession(db.store, second, inAnHour(pending(1)));
    expect(await db.other.claim(second, third)).toBe(true); // third: rotated to, but not written yet
    await db.store.endWithSuccessors(first);
    await setSession(db.other, third, inAnHour(signedIn(1))); // the code check's late write
    expect(await db.store.isLive(third)).toBe(false);
    expect(await rowOf(third)).toBeUndefined();
  });

  it('hands a database error to the callback instead of throwing', async () => {
    const closed = createPool(db.url, { max: 1 });
    const broken = createPostgresSessionStore(closed, rules);
    await closed.end();
    const sid = newSid();
    await expect(getSession(broken, sid)).rejects.toThrow(/database unavailable/);
    await expect(setSession(broken, sid, inAnHour())).rejects.toThrow(/database unavailable/);
    await expect(destroySession(broken, sid)).rejects.toThrow(/database unavailable/);
  });
});
