// "Your sessions" on the SQLite store: listing an account's sessions, ending one of them, and
// ending all of them but one. The PostgreSQL and Redis stores have the same cases
// (test/storage/postgres/account-sessions.test.ts, test/storage/redis/account-sessions.test.ts).
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/storage/sqlite/connection.ts';
import type { Database } from '../../src/storage/sqlite/connection.ts';
import { applyMigrations } from '../../src/storage/migrations.ts';
import { sessionRules } from '../../src/signin/state.ts';
import { createSqliteSessionStore } from '../../src/storage/sqlite/session-store.ts';
import type { SqliteSessionStore } from '../../src/storage/sqlite/session-store.ts';
import { useTempDir } from '../helpers/temp-dir.ts';
import {
  HOUR, getSession, inAnHour, pending, sessionExpiringAt, setSession, sidsOf, signedIn, signedInIdleFor,
} from '../helpers/session-calls.ts';

const REPO_MIGRATIONS = path.resolve(import.meta.dirname, '../../migrations');

describe('SQLite session store: an account’s sessions', () => {
  const tempDir = useTempDir();
  let db: Database;
  let store: SqliteSessionStore;
  const stored = () => (db.prepare('SELECT sid FROM sessions ORDER BY sid').pluck().all() as string[]);

  beforeEach(() => {
    db = openDatabase(path.join(tempDir(), 'app.db'));
    applyMigrations(db, [REPO_MIGRATIONS]);
    db.exec(`INSERT INTO users (id, email, phone, password_hash) VALUES
      (1, 'a@example.com', '+15555550100', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA'), (2, 'b@example.com', '+15555550101', '$argon2id$v=19$m=19456,t=2,p=1$d2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA')`);
    store = createSqliteSessionStore(db, sessionRules({ idleMs: 30 * 60 * 1000, maxMs: 12 * HOUR }, HOUR));
    return () => {
      if (db.open) db.close();
    };
  });

  /** Account 1: a signed-in, a pending and an expired session; account 2: one; and an anonymous one. */
  const seed = async () => {
    await setSession(store, 'a-signed', inAnHour(signedIn(1)));
    await setSession(store, 'a-pending', inAnHour(pending(1)));
    await setSession(store, 'a-expired', inAnHour(signedInIdleFor(1, 2 * HOUR)));
    await setSession(store, 'b-signed', inAnHour(signedIn(2)));
    await setSession(store, 'anonymous', inAnHour());
  };

  it('lists the account’s live sessions, signed in and pending, with their data, and nobody else’s', async () => {
    await seed();
    const listed = await store.listForAccount(1);
    expect(sidsOf(listed)).toEqual(['a-pending', 'a-signed']);
    expect(listed.find(({ sid }) => sid === 'a-signed')!.session).toMatchObject({ signedIn: { userId: 1 } });
    expect(listed.find(({ sid }) => sid === 'a-pending')!.session).toMatchObject({ pending: { userId: 1 } });
    expect(sidsOf(await store.listForAccount(2))).toEqual(['b-signed']);
    expect(await store.listForAccount(3)).toEqual([]);
    // the expired row is still stored (not pruned yet), only not listed
    expect(stored()).toContain('a-expired');
  });

  it('does not list an ended session, nor an unreadable row', async () => {
    await seed();
    await store.claim('a-pending', 'a-next');
    db.prepare("INSERT INTO sessions (sid, data, expires_at, user_id) VALUES ('a-garbled', '{\"trunc', ?, 1)").run(Date.now() + HOUR);
    // a row left beside its tombstone (by hand: the store never leaves one) reads as ended
    db.prepare("INSERT INTO ended_sessions (sid, ended_at) VALUES ('a-signed', ?)").run(Date.now());
    expect(await store.listForAccount(1)).toEqual([]);
  });

  it('endForAccount ends that one session only when it is the account’s, and for good', async () => {
    await seed();
    expect(await store.endForAccount(1, 'b-signed')).toBe(false);
    expect(await store.endForAccount(1, 'anonymous')).toBe(false);
    expect(await store.endForAccount(1, 'never-stored')).toBe(false);
    expect(await store.endForAccount(1, 'a-expired')).toBe(false); // not live: nothing to end
    expect(stored()).toEqual(['a-pending', 'a-signed', 'anonymous', 'b-signed']);

    expect(await store.endForAccount(1, 'a-signed')).toBe(true);
    expect(await store.endForAccount(1, 'a-signed')).toBe(false);
    expect(sidsOf(await store.listForAccount(1))).toEqual(['a-pending']);
    // a request still holding it cannot write it back
    await setSession(store, 'a-signed', inAnHour(signedIn(1)));
    expect(await getSession(store, 'a-signed')).toBeNull();
    expect(await store.isLive('b-signed')).toBe(true);
  });

  it('endAllForAccount ends every session of the account but the one kept, and none of another', async () => {
    await seed();
    expect(await store.endAllForAccount(1, 'a-signed')).toBe(1); // a-pending (a-expired was not live)
    expect(stored()).toEqual(['a-signed', 'anonymous', 'b-signed']);
    expect(sidsOf(await store.listForAccount(1))).toEqual(['a-signed']);
    for (const sid of ['a-pending', 'a-expired']) {
      await setSession(store, sid, inAnHour(signedIn(1)));
      expect(await store.isLive(sid), sid).toBe(false);
    }
    // another account's ID as the exception keeps nothing of this account
    expect(await store.endAllForAccount(1, 'b-signed')).toBe(1);
    expect(stored()).toEqual(['anonymous', 'b-signed']);
    expect(await store.endAllForAccount(1)).toBe(0);
  });

  it('a set racing the end of its session never brings it back', async () => {
    for (let round = 0; round < 20; round++) {
      const [one, all, kept] = [`one-${round}`, `all-${round}`, `kept-${round}`];
      for (const sid of [one, all, kept]) await setSession(store, sid, sessionExpiringAt(null, signedIn(1)));
      await Promise.all([
        store.endForAccount(1, one),
        setSession(store, one, inAnHour(signedIn(1))),
        store.endAllForAccount(1, kept),
        setSession(store, all, inAnHour(signedIn(1))),
        setSession(store, one, inAnHour(signedIn(1))),
      ]);
      expect(stored(), `round ${round}`).toEqual([kept]);
      await store.endAllForAccount(1);
    }
  });
});
