import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/storage/sqlite/connection.ts';
import type { Database } from '../../../src/storage/sqlite/connection.ts';
import { applyMigrations } from '../../../src/storage/migrations.ts';
import { createSqliteSessionStore } from '../../../src/storage/sqlite/session-store.ts';
import { sessionRules } from '../../../src/signin/state.ts';
import type { SqliteSessionStore } from '../../../src/storage/sqlite/session-store.ts';
import { useTempDir } from '../../helpers/temp-dir.ts';
import { destroySession, getSession, sessionExpiringAt, setSession } from '../../helpers/session-calls.ts';

const REPO_MIGRATIONS = path.resolve(import.meta.dirname, '../../../migrations');
const HOUR = 60 * 60 * 1000;

describe('SQLite session store', () => {
  const tempDir = useTempDir();
  const dbFile = () => path.join(tempDir(), 'app.db');
  let db: Database;
  let store: SqliteSessionStore;
  const rowOf = (sid: string) =>
    db.prepare('SELECT data, expires_at AS expiresAt FROM sessions WHERE sid = ?').get(sid) as
      { data: string; expiresAt: number } | undefined;

  beforeEach(() => {
    db = openDatabase(dbFile());
    applyMigrations(db, [REPO_MIGRATIONS]);
    store = createSqliteSessionStore(db, sessionRules({ idleMs: 30 * 60 * 1000, maxMs: 12 * 60 * 60 * 1000 }, HOUR));
    return () => {
      if (db.open) db.close();
    };
  });

  it('gives back what it was given, with the cookie expiry', async () => {
    const expires = new Date(Date.now() + HOUR);
    await setSession(store, 'sid-1', sessionExpiringAt(expires, { userId: 7, note: { step: 'code' } }));
    const session = await getSession(store, 'sid-1');
    expect(session).toMatchObject({ userId: 7, note: { step: 'code' } });
    expect(new Date(session!.cookie.expires as unknown as string).getTime()).toBe(expires.getTime());
    expect(rowOf('sid-1')?.expiresAt).toBe(expires.getTime());
  });

  it('answers null for an unknown session id', async () => {
    expect(await getSession(store, 'never-set')).toBeNull();
  });

  it('replaces a session on a second set', async () => {
    await setSession(store, 'sid-1', sessionExpiringAt(new Date(Date.now() + HOUR), { step: 1 }));
    await setSession(store, 'sid-1', sessionExpiringAt(new Date(Date.now() + 2 * HOUR), { step: 2 }));
    expect(await getSession(store, 'sid-1')).toMatchObject({ step: 2 });
    expect(db.prepare('SELECT count(*) FROM sessions').pluck().get()).toBe(1);
  });

  it('forgets a destroyed session', async () => {
    await setSession(store, 'sid-1', sessionExpiringAt(new Date(Date.now() + HOUR)));
    await destroySession(store, 'sid-1');
    expect(await getSession(store, 'sid-1')).toBeNull();
    expect(rowOf('sid-1')).toBeUndefined();
  });

  it('never writes back a destroyed session: a late set for its ID is dropped', async () => {
    await setSession(store, 'sid-1', sessionExpiringAt(new Date(Date.now() + HOUR), { step: 1 }));
    await destroySession(store, 'sid-1');
    await setSession(store, 'sid-1', sessionExpiringAt(new Date(Date.now() + HOUR), { step: 2 }));
    expect(await getSession(store, 'sid-1')).toBeNull();
    expect(rowOf('sid-1')).toBeUndefined();
    // a brand-new ID is stored as usual
    await setSession(store, 'sid-2', sessionExpiringAt(new Date(Date.now() + HOUR), { step: 3 }));
    expect(await getSession(store, 'sid-2')).toMatchObject({ step: 3 });
  });

  it('claim: of many requests racing to end one session, exactly one wins', async () => {
    await setSession(store, 'sid-1', sessionExpiringAt(new Date(Date.now() + HOUR)));
    const results = await Promise.all(Array.from({ length: 10 }, () => store.claim('sid-1')));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store.claim('never-stored')).toBe(false);
  });

  it('ends every session of one account in one step, and none of another', async () => {
    const pending = (userId: number) => ({ pending: { userId, epoch: 1, renewedAt: Date.now() }, verifyCode: { requestId: 'r', sentAt: Date.now() } });
    const signedIn = (userId: number) => ({ signedIn: { userId, signedInAt: Date.now(), seenAt: Date.now() } });
    db.exec("INSERT INTO users (id, email, phone, password_hash) VALUES (1, 'a@example.com', '+15555550100', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA'), (2, 'b@example.com', '+15555550101', '$argon2id$v=19$m=19456,t=2,p=1$d2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA')");
    await setSession(store, 'a-1', sessionExpiringAt(null, signedIn(1)));
    await setSession(store, 'a-2', sessionExpiringAt(null, pending(1)));
    await setSession(store, 'b-1', sessionExpiringAt(null, signedIn(2)));
    expect(await store.endAllForAccount(1)).toBe(2);
    expect(db.prepare('SELECT sid FROM sessions').pluck().all()).toEqual(['b-1']);
    await setSession(store, 'a-1', sessionExpiringAt(null, signedIn(1)));
    expect(rowOf('a-1')).toBeUndefined();
  });

  it('reads an expired session as absent, even before it is pruned', async () => {
    await setSession(store, 'stale', sessionExpiringAt(new Date(Date.now() - 1000), { userId: 7 }));
    expect(rowOf('stale')).toBeDefined();
    expect(await getSession(store, 'stale')).toBeNull();
  });

  it('gives a session without a cookie expiry the default lifetime', async () => {
    const before = Date.now();
    await setSession(store, 'browser-session', sessionExpiringAt(null, { userId: 7 }));
    const expiresAt = rowOf('browser-session')!.expiresAt;
    expect(expiresAt).toBeGreaterThanOrEqual(before + HOUR);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + HOUR);
  });

  it('stores compact JSON: no whitespace, and of the cookie only its expiry', async () => {
    await setSession(store, 'sid-1', sessionExpiringAt(new Date(Date.now() + HOUR), { userId: 7 }));
    const stored = JSON.parse(rowOf('sid-1')!.data);
    expect(rowOf('sid-1')!.data).toBe(JSON.stringify(stored));
    expect(Object.keys(stored.cookie).sort()).toEqual(['expires', 'originalMaxAge']);
  });

  it('reads an unreadable row as absent instead of failing the request', async () => {
    db.prepare('INSERT INTO sessions (sid, data, expires_at) VALUES (?, ?, ?)').run('garbled', '{"trunc', Date.now() + HOUR);
    expect(await getSession(store, 'garbled')).toBeNull();
  });

  it('hands a database error to the callback instead of throwing', async () => {
    db.close();
    await expect(getSession(store, 'sid-1')).rejects.toThrow(/not open/);
    await expect(setSession(store, 'sid-1', sessionExpiringAt(null))).rejects.toThrow(/not open/);
    await expect(destroySession(store, 'sid-1')).rejects.toThrow(/not open/);
  });

  it('prunes only expired rows and says how many', async () => {
    await setSession(store, 'live', sessionExpiringAt(new Date(Date.now() + HOUR)));
    await setSession(store, 'stale-1', sessionExpiringAt(new Date(Date.now() - 1)));
    await setSession(store, 'stale-2', sessionExpiringAt(new Date(Date.now() - HOUR)));
    expect(store.pruneExpired()).toBe(2);
    expect(db.prepare('SELECT sid FROM sessions').pluck().all()).toEqual(['live']);
    expect(store.pruneExpired()).toBe(0);
  });

  it('keeps sessions across closing and reopening the database file', async () => {
    await setSession(store, 'sid-1', sessionExpiringAt(new Date(Date.now() + HOUR), { userId: 7 }));
    db.close();

    db = openDatabase(dbFile());
    store = createSqliteSessionStore(db, sessionRules({ idleMs: 30 * 60 * 1000, maxMs: 12 * 60 * 60 * 1000 }, HOUR));
    expect(await getSession(store, 'sid-1')).toMatchObject({ userId: 7 });
  });
});
