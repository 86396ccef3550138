// The session store on PostgreSQL: SQLite's semantics (src/storage/sqlite/session-store.ts) for
// several app processes sharing one database. Each method is one statement, so each is atomic;
// migrations/0002_hardening.postgres.sql explains how set and end_session_link stay correct
// against a concurrent end under READ COMMITTED.
import type { Session } from 'fastify';
import type { AuthSessionStore, SessionRules } from '../../session/auth-session-store.ts';
import { deleteInBatches, query } from './pool.ts';
import type { Pool } from './pool.ts';
import { parseSession, serializeSession } from '../session-rows.ts';

/** A tombstone outlives any request that could still be holding its session. */
const TOMBSTONE_MS = 60 * 60 * 1000;
/** Rotations per sign-in are few; a longer chain can only be a loop in hand-edited rows. */
const MAX_CHAIN = 20;
/** Rows per pruning statement: small enough to finish well within the statement timeout. */
const PRUNE_BATCH = 5000;

type Callback = (error?: unknown) => void;
type SessionCallback = (error: unknown, session?: Session | null) => void;

export type PostgresSessionStore = AuthSessionStore & {
  /** Deletes expired rows and old tombstones; returns how many sessions. */
  pruneExpired(): Promise<number>;
};

export function createPostgresSessionStore(pool: Pool, rules: SessionRules): PostgresSessionStore {
  /** Deletes the row and tombstones it, in one statement; how many rows it deleted (0 or 1). */
  const end = async (sid: string, successor: string | null): Promise<number> => {
    const [{ ended }] = await query<{ ended: number }>(
      pool,
      `WITH gone AS (DELETE FROM sessions WHERE sid = $1 RETURNING sid),
        tombstone AS (INSERT INTO ended_sessions (sid, ended_at, successor) SELECT sid, $2::bigint, $3::text FROM gone ON CONFLICT (sid) DO NOTHING)
      SELECT count(*)::int AS ended FROM gone`,
      [sid, Date.now(), successor],
      { name: 'session-end' },
    );
    return ended;
  };

  return {
    // @fastify/session calls these with callbacks; every failure, even a synchronous one while
    // serializing, reaches the callback (inside the async function) and never throws to the caller.
    get(sid: string, callback: SessionCallback) {
      settle(async () => {
        // An expired row reads as absent even before the pruner deletes it.
        const rows = await query<{ data: string }>(pool, 'SELECT data FROM sessions WHERE sid = $1 AND expires_at > $2', [sid, Date.now()], {
          name: 'session-get',
        });
        return rows.length === 0 ? null : parseSession(rows[0].data);
      }, callback);
    },

    set(sid: string, session: Session, callback: Callback) {
      settle(async () => {
        const values = [sid, serializeSession(session), rules.expiresAt(session), rules.accountOf(session) ?? null];
        await query(pool, 'SELECT set_session_unless_ended($1, $2, $3, $4)', values, { name: 'session-set' });
      }, (error) => callback(error ?? undefined));
    },

    destroy(sid: string, callback: Callback) {
      settle(() => end(sid, null), (error) => callback(error ?? undefined));
    },

    // Of several claims racing for one row, the first DELETE takes it; the others wait for its
    // commit, re-check the row, find it gone and delete nothing.
    async claim(sid, successor) {
      return (await end(sid, successor ?? null)) > 0;
    },

    async isLive(sid) {
      const rows = await query(pool, 'SELECT 1 FROM sessions WHERE sid = $1 AND expires_at > $2', [sid, Date.now()]);
      return rows.length > 0;
    },

    // One statement per link (its own transaction): a failure part-way leaves the links ended so
    // far ended, and calling again walks the same chain (the tombstones keep their successors).
    async endWithSuccessors(sid) {
      const seen = new Set<string>();
      for (let id: string | null = sid; id !== null && !seen.has(id) && seen.size < MAX_CHAIN; ) {
        seen.add(id);
        const [row]: Array<{ successor: string | null }> = await query(pool, 'SELECT end_session_link($1, $2) AS successor', [id, Date.now()]);
        id = row.successor;
      }
    },

    // Ended rows are deleted, so the tombstone check only guards against rows written by hand.
    async listForAccount(userId) {
      const rows = await query<{ sid: string; data: string }>(
        pool,
        `SELECT sid, data FROM sessions s
        WHERE user_id = $1 AND expires_at > $2 AND NOT EXISTS (SELECT 1 FROM ended_sessions e WHERE e.sid = s.sid)`,
        [userId, Date.now()],
      );
      return rows.flatMap(({ sid, data }) => {
        const session = parseSession(data);
        return session ? [{ sid, session }] : [];
      });
    },

    // destroy's statement with the account in the condition. A set racing it either committed
    // first (its row is deleted here, the account re-checked on that version) or waits and then
    // writes nothing (rule 1 in migrations/0002_hardening.postgres.sql).
    async endForAccount(userId, sid) {
      const [{ ended }] = await query<{ ended: number }>(
        pool,
        `WITH gone AS (DELETE FROM sessions WHERE sid = $1 AND user_id = $2 RETURNING sid, expires_at),
          tombstone AS (INSERT INTO ended_sessions (sid, ended_at) SELECT sid, $3::bigint FROM gone ON CONFLICT (sid) DO NOTHING)
        SELECT count(*) FILTER (WHERE expires_at > $3::bigint)::int AS ended FROM gone`,
        [sid, userId, Date.now()],
      );
      return ended > 0;
    },

    // One statement: every row of the account that exists when it starts (or is being rewritten
    // then: the DELETE waits and re-checks the new version) is deleted and tombstoned, so no set
    // can bring it back; a session first inserted after the statement's snapshot is not seen.
    async endAllForAccount(userId, exceptSid) {
      const [{ ended }] = await query<{ ended: number }>(
        pool,
        `WITH gone AS (DELETE FROM sessions WHERE user_id = $1 AND ($3::text IS NULL OR sid <> $3::text) RETURNING sid, expires_at),
          tombstones AS (INSERT INTO ended_sessions (sid, ended_at) SELECT sid, $2::bigint FROM gone ON CONFLICT (sid) DO NOTHING)
        SELECT count(*) FILTER (WHERE expires_at > $2::bigint)::int AS ended FROM gone`,
        [userId, Date.now(), exceptSid ?? null],
      );
      return ended;
    },

    // In batches, each within the request-path timeouts (see deleteInBatches). The outer
    // condition repeats the inner one: a row renewed by a concurrent set after the subquery
    // picked it is re-checked against its new version and kept.
    async pruneExpired() {
      await deleteInBatches(
        pool,
        `WITH gone AS (DELETE FROM ended_sessions WHERE sid IN (SELECT sid FROM ended_sessions WHERE ended_at <= $1 LIMIT $2) AND ended_at <= $1 RETURNING 1)
        SELECT count(*)::int AS count FROM gone`,
        [Date.now() - TOMBSTONE_MS],
        PRUNE_BATCH,
      );
      return deleteInBatches(
        pool,
        `WITH gone AS (DELETE FROM sessions WHERE sid IN (SELECT sid FROM sessions WHERE expires_at <= $1 LIMIT $2) AND expires_at <= $1 RETURNING 1)
        SELECT count(*)::int AS count FROM gone`,
        [Date.now()],
        PRUNE_BATCH,
      );
    },
  };
}

/** Runs `work` and hands its outcome to a node-style callback, exactly once. */
function settle<T>(work: () => Promise<T>, callback: (error: unknown, value?: T) => void): void {
  work().then(
    (value) => callback(null, value),
    (error: unknown) => callback(error),
  );
}
