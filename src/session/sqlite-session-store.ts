import type { Session } from 'fastify';
import type { Database } from '../db/connection.ts';
import type { AuthSessionStore, SessionRules } from './auth-session-store.ts';
import { parseSession, serializeSession } from './session-rows.ts';

export type SqliteSessionStore = AuthSessionStore & {
  /** Deletes expired rows and old tombstones (src/backends/maintenance.ts calls it); returns how many sessions. */
  pruneExpired(): number;
};

type Callback = (error?: unknown) => void;
type SessionCallback = (error: unknown, session?: Session | null) => void;

/** A tombstone outlives any request that could still be holding its session. */
const TOMBSTONE_MS = 60 * 60 * 1000;

/**
 * A @fastify/session store on the `sessions` table. It runs on every request, so each call is
 * one prepared statement on the primary key, and better-sqlite3 being synchronous, callbacks
 * are called before returning (as the plugin's own MemoryStore does).
 *
 * An ended session never comes back: `destroy` leaves a tombstone in `ended_sessions` and `set`
 * writes nothing for an ID found there, in the same statement, so a request that was still in
 * flight when a parallel logout, cancel or rotation ended its session cannot write it back.
 */
export function createSqliteSessionStore(db: Database, options: SessionRules): SqliteSessionStore {
  const { expiresAt, accountOf } = options;
  // An expired row reads as absent even before the pruner deletes it.
  const selectLive = db
    .prepare<[string, number], string>('SELECT data FROM sessions WHERE sid = ? AND expires_at > ?')
    .pluck();
  const upsertUnlessEnded = db.prepare<[{ sid: string; data: string; expiresAt: number; userId: number | null }]>(
    `INSERT INTO sessions (sid, data, expires_at, user_id)
     SELECT :sid, :data, :expiresAt, (SELECT id FROM users WHERE id = :userId)
     WHERE NOT EXISTS (SELECT 1 FROM ended_sessions WHERE sid = :sid)
     ON CONFLICT (sid) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at, user_id = excluded.user_id`,
  );
  const remove = db.prepare<[string]>('DELETE FROM sessions WHERE sid = ?');
  const tombstone = db.prepare<[string, number, string | null]>(
    'INSERT OR IGNORE INTO ended_sessions (sid, ended_at, successor) VALUES (?, ?, ?)',
  );
  const successorOf = db.prepare<[string], string | null>('SELECT successor FROM ended_sessions WHERE sid = ?').pluck();
  const selectLiveSid = db.prepare<[string, number], number>('SELECT 1 FROM sessions WHERE sid = ? AND expires_at > ?').pluck();
  const tombstoneAccount = db.prepare<[number, number]>(
    'INSERT OR IGNORE INTO ended_sessions (sid, ended_at) SELECT sid, ? FROM sessions WHERE user_id = ?',
  );
  const removeAccount = db.prepare<[number]>('DELETE FROM sessions WHERE user_id = ?');
  const removeExpired = db.prepare<[number]>('DELETE FROM sessions WHERE expires_at <= ?');
  const removeOldTombstones = db.prepare<[number]>('DELETE FROM ended_sessions WHERE ended_at <= ?');

  /** Deletes the row and leaves a tombstone, in one transaction; true when a live row was there. */
  const end = db.transaction((sid: string, successor: string | null = null): boolean => {
    const existed = remove.run(sid).changes > 0;
    if (existed) tombstone.run(sid, Date.now(), successor);
    return existed;
  });
  /** Follows the rotation chain (a few links at most) and ends every link, written yet or not. */
  const endChain = db.transaction((sid: string) => {
    const seen = new Set<string>();
    for (let id: string | null | undefined = sid; id && !seen.has(id); id = successorOf.get(id)) {
      seen.add(id);
      remove.run(id);
      tombstone.run(id, Date.now(), null);
    }
  });
  const endAccount = db.transaction((userId: number): number => {
    tombstoneAccount.run(Date.now(), userId);
    return removeAccount.run(userId).changes;
  });
  const prune = () => {
    removeOldTombstones.run(Date.now() - TOMBSTONE_MS);
    return removeExpired.run(Date.now()).changes;
  };

  return {
    get(sid: string, callback: SessionCallback) {
      let session: Session | null;
      try {
        const data = selectLive.get(sid, Date.now());
        session = data === undefined ? null : parseSession(data);
      } catch (error) {
        callback(error);
        return;
      }
      callback(null, session);
    },

    set(sid: string, session: Session, callback: Callback) {
      try {
        upsertUnlessEnded.run({ sid, data: serializeSession(session), expiresAt: expiresAt(session), userId: accountOf(session) ?? null });
      } catch (error) {
        callback(error);
        return;
      }
      callback();
    },

    destroy(sid: string, callback: Callback) {
      try {
        end(sid);
      } catch (error) {
        callback(error);
        return;
      }
      callback();
    },

    async claim(sid, successor) {
      return end(sid, successor ?? null);
    },

    async isLive(sid) {
      return selectLiveSid.get(sid, Date.now()) !== undefined;
    },

    async endWithSuccessors(sid) {
      endChain(sid);
    },

    async endAllForAccount(userId) {
      return endAccount(userId);
    },

    pruneExpired: prune,
  };
}
