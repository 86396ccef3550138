import type { SessionStore } from '@fastify/session';
import type { Session } from 'fastify';
import type { Database } from '../db/connection.ts';

export type SqliteSessionStoreOptions = {
  /** Row lifetime when the session cookie has no expiry of its own (a browser-session cookie). */
  ttlMs: number;
  /** Told about a failed background prune; the next prune simply tries again. */
  onPruneError?: (error: unknown) => void;
};

export type SqliteSessionStore = SessionStore & {
  /** Deletes expired rows; returns how many. */
  pruneExpired(): number;
  /** Prunes every `intervalMs` on an unref'd timer, so it never keeps the process alive. */
  startPruning(intervalMs: number): void;
  /** Stops the pruning timer. The database belongs to the caller and stays open. */
  close(): void;
};

type Callback = (error?: unknown) => void;
type SessionCallback = (error: unknown, session?: Session | null) => void;

/**
 * A @fastify/session store on the `sessions` table. It runs on every request, so each call is
 * one prepared statement on the primary key, and better-sqlite3 being synchronous, callbacks
 * are called before returning (as the plugin's own MemoryStore does).
 */
export function createSqliteSessionStore(db: Database, options: SqliteSessionStoreOptions): SqliteSessionStore {
  const { ttlMs, onPruneError } = options;
  // An expired row reads as absent even before the pruner deletes it.
  const selectLive = db
    .prepare<[string, number], string>('SELECT data FROM sessions WHERE sid = ? AND expires_at > ?')
    .pluck();
  const upsert = db.prepare<[string, string, number]>(
    `INSERT INTO sessions (sid, data, expires_at) VALUES (?, ?, ?)
     ON CONFLICT (sid) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at`,
  );
  const remove = db.prepare<[string]>('DELETE FROM sessions WHERE sid = ?');
  const removeExpired = db.prepare<[number]>('DELETE FROM sessions WHERE expires_at <= ?');
  let pruneTimer: NodeJS.Timeout | undefined;

  const stopPruning = () => {
    if (pruneTimer) clearInterval(pruneTimer);
    pruneTimer = undefined;
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
        upsert.run(sid, serializeSession(session), expiryOf(session) ?? Date.now() + ttlMs);
      } catch (error) {
        callback(error);
        return;
      }
      callback();
    },

    destroy(sid: string, callback: Callback) {
      try {
        remove.run(sid);
      } catch (error) {
        callback(error);
        return;
      }
      callback();
    },

    pruneExpired() {
      return removeExpired.run(Date.now()).changes;
    },

    startPruning(intervalMs: number) {
      stopPruning();
      pruneTimer = setInterval(() => {
        if (!db.open) return stopPruning();
        try {
          removeExpired.run(Date.now());
        } catch (error) {
          onPruneError?.(error);
        }
      }, intervalMs);
      pruneTimer.unref();
    },

    close: stopPruning,
  };
}

/**
 * Keeps only the cookie's expiry from the plugin's Cookie object: on load, @fastify/session
 * merges the stored cookie over the configured cookie options and needs nothing else back
 * (`expires` to refuse an expired session, `originalMaxAge` to renew maxAge). Leaving out
 * path, domain, secure and sameSite keeps rows small and lets a changed configuration apply
 * to sessions that already exist.
 */
function serializeSession(session: Session): string {
  const { cookie, ...data } = session;
  return JSON.stringify({ ...data, cookie: { expires: cookie.expires ?? null, originalMaxAge: cookie.originalMaxAge } });
}

function parseSession(data: string): Session | null {
  try {
    return JSON.parse(data) as Session;
  } catch {
    // Unreadable row (hand-edited or truncated): start a fresh session rather than fail the request.
    return null;
  }
}

function expiryOf(session: Session): number | undefined {
  const expires = session.cookie?.expires;
  if (expires == null) return undefined;
  const time = new Date(expires).getTime();
  return Number.isFinite(time) ? time : undefined;
}
