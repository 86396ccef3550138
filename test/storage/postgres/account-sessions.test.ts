// "Your sessions" on the PostgreSQL store: the SQLite store's cases (test/session/account-sessions.test.ts)
// on two pools standing for two app processes, and the races only several processes can run.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { sql } from './fresh-database.ts';
import { getSession, HOUR, inAnHour, pending, sessionExpiringAt, setSession, signedIn, useSessionDatabase } from './session-helpers.ts';
import { sidsOf, signedInIdleFor } from '../../helpers/session-calls.ts';

describe('PostgreSQL session store: an account’s sessions', () => {
  const db = useSessionDatabase();
  const { newSid, rowOf } = db;

  /** Account 1: a signed-in, a pending and an expired session; account 2: one; and an anonymous one. */
  const seed = async () => {
    const sids = { signed: newSid('a'), pending: newSid('a'), expired: newSid('a'), other: newSid('b'), anonymous: newSid('anon') };
    await setSession(db.store, sids.signed, inAnHour(signedIn(1)));
    await setSession(db.other, sids.pending, inAnHour(pending(1)));
    await setSession(db.store, sids.expired, inAnHour(signedInIdleFor(1, 2 * HOUR)));
    await setSession(db.other, sids.other, inAnHour(signedIn(2)));
    await setSession(db.store, sids.anonymous, inAnHour());
    return sids;
  };
  /** The tests of the file share the database: each starts with account 1 holding no session. */
  const clean = async () => {
    await db.store.endAllForAccount(1);
  };

  it('lists the account’s live sessions, signed in and pending, with their data, and nobody else’s', async () => {
    await clean();
    const sids = await seed();
    const listed = await db.other.listForAccount(1);
    expect(sidsOf(listed)).toEqual([sids.signed, sids.pending].sort());
    expect(listed.find(({ sid }) => sid === sids.signed)!.session).toMatchObject({ signedIn: { userId: 1 } });
    expect(listed.find(({ sid }) => sid === sids.pending)!.session).toMatchObject({ pending: { userId: 1 } });
    expect(sidsOf(await db.store.listForAccount(2))).toContain(sids.other);
    expect(sidsOf(await db.store.listForAccount(2))).not.toContain(sids.signed);
    expect(await db.store.listForAccount(3)).toEqual([]);
    expect(await rowOf(sids.expired)).toBeDefined(); // stored (not pruned yet), only not listed
  });

  it('does not list an ended session, nor an unreadable row', async () => {
    await clean();
    const sids = await seed();
    await db.store.claim(sids.pending, newSid('next'));
    await sql(db.url, "INSERT INTO sessions (sid, data, expires_at, user_id) VALUES ($1, '{\"trunc', $2, 1)", [newSid('garbled'), Date.now() + HOUR]);
    // a row left beside its tombstone (by hand: the store never leaves one) reads as ended
    await sql(db.url, 'INSERT INTO ended_sessions (sid, ended_at) VALUES ($1, $2)', [sids.signed, Date.now()]);
    expect(await db.store.listForAccount(1)).toEqual([]);
    await sql(db.url, 'DELETE FROM sessions WHERE sid = $1', [sids.signed]);
  });

  it('endForAccount ends that one session only when it is the account’s, and for good', async () => {
    await clean();
    const sids = await seed();
    expect(await db.store.endForAccount(1, sids.other)).toBe(false);
    expect(await db.store.endForAccount(1, sids.anonymous)).toBe(false);
    expect(await db.store.endForAccount(1, 'never-stored')).toBe(false);
    expect(await db.store.endForAccount(1, sids.expired)).toBe(false); // not live: nothing to end
    for (const sid of [sids.other, sids.anonymous]) expect(await db.store.isLive(sid)).toBe(true);

    expect(await db.other.endForAccount(1, sids.signed)).toBe(true);
    expect(await db.store.endForAccount(1, sids.signed)).toBe(false);
    expect(sidsOf(await db.store.listForAccount(1))).toEqual([sids.pending]);
    await setSession(db.store, sids.signed, inAnHour(signedIn(1)));
    expect(await rowOf(sids.signed)).toBeUndefined();
  });

  it('endAllForAccount ends every session of the account but the one kept, and none of another', async () => {
    await clean();
    const sids = await seed();
    expect(await db.other.endAllForAccount(1, sids.signed)).toBe(1); // the pending one (the expired one was not live)
    expect(sidsOf(await db.store.listForAccount(1))).toEqual([sids.signed]);
    expect(await rowOf(sids.expired)).toBeUndefined();
    for (const sid of [sids.pending, sids.expired]) {
      await setSession(db.store, sid, inAnHour(signedIn(1)));
      expect(await rowOf(sid), sid).toBeUndefined();
    }
    for (const sid of [sids.other, sids.anonymous]) expect(await db.store.isLive(sid)).toBe(true);
    expect(await db.store.endAllForAccount(1, sids.other)).toBe(1);
    expect(await db.store.endAllForAccount(1)).toBe(0);
    expect(await db.store.isLive(sids.other)).toBe(true);
  });

  it('sets racing the ends from another instance never bring an ended session back', async () => {
    await clean();
    for (let round = 0; round < 30; round++) {
      const [one, all, kept] = [newSid('one'), newSid('all'), newSid('kept')];
      for (const sid of [one, all, kept]) await setSession(db.store, sid, inAnHour(signedIn(1)));
      const [ended] = await Promise.all([
        db.other.endForAccount(1, one),
        setSession(db.store, one, inAnHour(signedIn(1))),
        setSession(db.store, all, inAnHour(signedIn(1))),
        setSession(db.store, kept, inAnHour(signedIn(1))),
      ]);
      expect(ended, `round ${round}`).toBe(true);
      await Promise.all([db.other.endAllForAccount(1, kept), setSession(db.store, all, inAnHour(signedIn(1)))]);
      expect(sidsOf(await db.store.listForAccount(1)), `round ${round}`).toEqual([kept]);
      for (const sid of [one, all]) expect(await rowOf(sid), `round ${round}`).toBeUndefined();
      await db.store.endAllForAccount(1);
    }
  });

  it('endAllForAccount ends a session whose rewrite is in flight: it waits for the write, then ends it', async () => {
    await clean();
    const busy = newSid('busy');
    await setSession(db.store, busy, sessionExpiringAt(null, signedIn(1)));
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      // a set of the session from a third process, not committed yet
      await client.query('BEGIN');
      await client.query('SELECT set_session_unless_ended($1, $2, $3, $4)', [busy, JSON.stringify(inAnHour(signedIn(1))), Date.now() + HOUR, 1]);
      const ending = db.other.endAllForAccount(1);
      await untilSomeoneWaitsForALock();
      await client.query('COMMIT');
      expect(await ending).toBe(1);
    } finally {
      await client.end();
    }
    expect(await rowOf(busy)).toBeUndefined();
    await setSession(db.store, busy, inAnHour(signedIn(1)));
    expect(await getSession(db.store, busy)).toBeNull();
  });

  it('every session the account had when endAllForAccount started ends, however many are being rewritten', async () => {
    await clean();
    const sids = Array.from({ length: 40 }, () => newSid('many'));
    for (const sid of sids) await setSession(db.store, sid, inAnHour(signedIn(1)));
    const fresh = newSid('fresh');
    const [ended] = await Promise.all([
      db.other.endAllForAccount(1),
      ...sids.map((sid) => setSession(db.store, sid, inAnHour(signedIn(1)))),
      setSession(db.store, fresh, inAnHour(signedIn(1))), // created meanwhile: may or may not survive
    ]);
    expect(ended).toBeGreaterThanOrEqual(sids.length);
    for (const sid of sids) expect(await rowOf(sid), sid).toBeUndefined();
    expect(sidsOf(await db.store.listForAccount(1))).toEqual((await rowOf(fresh)) ? [fresh] : []);
  });

  const untilSomeoneWaitsForALock = async () => {
    for (let i = 0; i < 100; i++) {
      const [{ waiting }] = await sql<{ waiting: number }>(db.url, "SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
      if (waiting > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error('nobody waited for a lock');
  };
});
