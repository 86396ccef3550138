// Sets racing ends of the same session IDs from another app process: an ended ID never comes back.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createPostgresAuditLog } from '../../../src/storage/postgres/audit-log.ts';
import { createPool } from '../../../src/storage/postgres/pool.ts';
import { HASH, sql } from './fresh-database.ts';
import { destroySession, inAnHour, pending, setSession, signedIn, useSessionDatabase } from './session-helpers.ts';

describe('PostgreSQL session store under concurrent ends', () => {
  const db = useSessionDatabase();
  const { newSid, rowOf } = db;

  it('never resurrects: sets racing ends of the same IDs from another instance leave no ended ID stored', async () => {
    // A set of a fresh ID and a chain ending it (its predecessor was claimed with it as successor),
    // started together, many times: whichever runs first, the ID must end up ended.
    for (let round = 0; round < 40; round++) {
      const [before, next] = [newSid('race'), newSid('race')];
      await setSession(db.store, before, inAnHour(pending(1)));
      await db.store.claim(before, next);
      await Promise.all([setSession(db.store, next, inAnHour(signedIn(1))), db.other.endWithSuccessors(before)]);
      expect(await rowOf(next), `round ${round}`).toBeUndefined();
    }
    // A stored session being rewritten while another instance destroys it.
    for (let round = 0; round < 40; round++) {
      const sid = newSid('race');
      await setSession(db.store, sid, inAnHour({ step: 1 }));
      await Promise.all([setSession(db.store, sid, inAnHour({ step: 2 })), destroySession(db.other, sid), setSession(db.store, sid, inAnHour({ step: 3 }))]);
      expect(await rowOf(sid), `round ${round}`).toBeUndefined();
    }
  });

  // Deterministic versions of those races: an end is held open (uncommitted) in a transaction of
  // its own while a set for the same ID arrives; the set must wait for it and then write nothing.
  // (A plain INSERT … WHERE NOT EXISTS (tombstone) ON CONFLICT DO UPDATE fails both.)
  const whileEndIsOpen = async (endStatement: string, values: unknown[], write: () => Promise<void>) => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query('BEGIN');
      await client.query(endStatement, values);
      const written = write();
      await untilSomeoneWaitsForALock();
      await client.query('COMMIT');
      await written;
    } finally {
      await client.end();
    }
  };
  const untilSomeoneWaitsForALock = async () => {
    for (let i = 0; i < 100; i++) {
      const [{ waiting }] = await sql<{ waiting: number }>(db.url, "SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
      if (waiting > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  it('a set arriving while a successor not written yet is being ended waits, then writes nothing', async () => {
    const sid = newSid('held');
    await whileEndIsOpen('SELECT end_session_link($1, $2)', [sid, Date.now()], () => setSession(db.store, sid, inAnHour(signedIn(1))));
    expect(await rowOf(sid)).toBeUndefined();
  });

  it('a set arriving while a stored session is being destroyed waits, then writes nothing', async () => {
    const sid = newSid('held');
    await setSession(db.store, sid, inAnHour({ step: 1 }));
    const destroy = `WITH gone AS (DELETE FROM sessions WHERE sid = $1 RETURNING sid)
      INSERT INTO ended_sessions (sid, ended_at) SELECT sid, $2::bigint FROM gone`;
    await whileEndIsOpen(destroy, [sid, Date.now()], () => setSession(db.store, sid, inAnHour({ step: 2 })));
    expect(await rowOf(sid)).toBeUndefined();
    // and the same when the whole account is being ended (the admin's trigger, endAllForAccount)
    const mine = newSid('held');
    await setSession(db.store, mine, inAnHour(signedIn(2)));
    await whileEndIsOpen('UPDATE users SET disabled = 1 WHERE id = 2', [], () => setSession(db.store, mine, inAnHour(signedIn(2))));
    expect(await rowOf(mine)).toBeUndefined();
    await sql(db.url, 'UPDATE users SET disabled = 0 WHERE id = 2');
  });

  // The account a write names is deleted by another connection while the write runs: the write
  // still sees the account, and the foreign-key check, which waits for the delete, then fails
  // (23503). Neither may fail the request.
  let nextUser = 100;
  const newUser = async () => {
    const id = ++nextUser;
    await sql(db.url, 'INSERT INTO users (id, email, phone, password_hash) VALUES ($1, $2, $3, $4)', [id, `u${id}@example.com`, `+1555555${id}0`, HASH]);
    return id;
  };

  it('a set for an account being deleted waits, then writes nothing instead of failing', async () => {
    const fresh = newSid('fk');
    const doomed = await newUser();
    await whileEndIsOpen('DELETE FROM users WHERE id = $1', [doomed], () => setSession(db.store, fresh, inAnHour(signedIn(doomed))));
    expect(await rowOf(fresh)).toBeUndefined();
    // A stored session of no account yet, being signed in to one being deleted: left as it was.
    const stored = newSid('fk');
    await setSession(db.store, stored, inAnHour({ step: 1 }));
    const alsoDoomed = await newUser();
    await whileEndIsOpen('DELETE FROM users WHERE id = $1', [alsoDoomed], () => setSession(db.other, stored, inAnHour(signedIn(alsoDoomed))));
    expect(await rowOf(stored)).toMatchObject({ user_id: null, data: expect.stringContaining('"step":1') });
  });

  it('an audit event for an account being deleted is recorded, without the account', async () => {
    const pool = createPool(db.url, { max: 2 });
    try {
      const audit = createPostgresAuditLog(pool);
      const doomed = await newUser();
      await whileEndIsOpen('DELETE FROM users WHERE id = $1', [doomed], () => audit.record('password-ok', { ip: '192.0.2.1', headers: {} }, { userId: doomed, detail: 'raced' }));
      expect(await sql(db.url, "SELECT event, user_id FROM audit_log WHERE detail = 'raced'")).toEqual([{ event: 'password-ok', user_id: null }]);
      // Any other database error is still an error.
      await sql(db.url, 'ALTER TABLE audit_log ADD CONSTRAINT no_bad_events CHECK (event <> $$bad$$)');
      await expect(audit.record('bad' as never, { ip: '192.0.2.1', headers: {} }, { userId: 1 })).rejects.toThrow(/no_bad_events/);
      await sql(db.url, 'ALTER TABLE audit_log DROP CONSTRAINT no_bad_events');
    } finally {
      await pool.end();
    }
  });
});
