import type { Session } from 'fastify';
import type { Database } from './connection.ts';
import type { AuthSessionStore, SessionRules } from '../../session/auth-session-store.ts';
import { parseSession, serializeSession } from '../session-rows.ts';

export type SqliteSessionStore = AuthSessionStore & {
  /** Deletes expired rows and old tombstones (src/storage/maintenance.ts calls it); returns how many sessions. */
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
  // `sid IS NOT :except` with :except NULL holds for every row: no exception.
  const tombstoneAccount = db.prepare<[{ userId: number; except: string | null; now: number }]>(
    'INSERT OR IGNORE INTO ended_sessions (sid, ended_at) SELECT sid, :now FROM sessions WHERE user_id = :userId AND sid IS NOT :except',
  );
  const removeAccount = db
    .prepare<[{ userId: number; except: string | null; now: number }], number>(
      'DELETE FROM sessions WHERE user_id = :userId AND sid IS NOT :except RETURNING expires_at > :now',
    )
    .pluck();
  const selectAccountLive = db.prepare<[number, number], { sid: string; data: string }>(
    `SELECT sid, data FROM sessions s
     WHERE user_id = ? AND expires_at > ? AND NOT EXISTS (SELECT 1 FROM ended_sessions e WHERE e.sid = s.sid)`,
  );
  const removeOfAccount = db.prepare<[string, number, number], number>('DELETE FROM sessions WHERE sid = ? AND user_id = ? RETURNING expires_at > ?').pluck();
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
  /** Every row of the account but `except`: tombstoned, then deleted; counts the unexpired ones. */
  const endAccount = db.transaction((userId: number, except: string | null): number => {
    const params = { userId, except, now: Date.now() };
    tombstoneAccount.run(params);
    return removeAccount.all(params).filter((live) => live === 1).length;
  });
  /** The row only if the account's; tombstoned like destroy; true when it was unexpired. */
  const endOfAccount = db.transaction((userId: number, sid: string): boolean => {
    const now = Date.now();
    const deleted = removeOfAccount.get(sid, userId, now);
    if (deleted === undefined) return false;
    tombstone.run(sid, now, null);
    return deleted === 1;
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

    async listForAccount(userId) {
      return selectAccountLive.all(userId, Date.now()).flatMap(({ sid, data }) => {
        const session = parseSession(data);
        return session ? [{ sid, session }] : [];
      });
    },

    async endForAccount(userId, sid) {
      return endOfAccount(userId, sid);
    },

    async endAllForAccount(userId, exceptSid) {
      return endAccount(userId, exceptSid ?? null);
    },

    pruneExpired: prune,
  };
}
