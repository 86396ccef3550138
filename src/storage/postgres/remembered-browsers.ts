// "Remember this browser" on PostgreSQL: the same rows and rules as
// src/accounts/remembered-browsers.ts. Using a token is one statement: the DELETE of the
// account's live row feeds the INSERT of its successor, so of two requests presenting the same
// token only one finds the row (the other waits on its lock, then finds it gone).
import type { RememberedBrowserStore } from '../../accounts/remembered-browsers.ts';
import { deleteInBatches, query } from './pool.ts';
import type { Pool } from './pool.ts';

const PRUNE_BATCH = 5000;

export function createPostgresRememberedBrowserStore(pool: Pool): RememberedBrowserStore {
  return {
    async add(userId, tokenHash, { createdAt, expiresAt }) {
      await query(pool, 'INSERT INTO remembered_browsers (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)', [
        tokenHash,
        userId,
        createdAt,
        expiresAt,
      ]);
    },
    async rotate(userId, tokenHash, nextHash, tickedAfter) {
      const rows = await query<{ expires_at: number }>(
        pool,
        `WITH gone AS (
          DELETE FROM remembered_browsers
          WHERE token_hash = $1 AND user_id = $2 AND expires_at > $3 AND created_at > $5
          RETURNING user_id, created_at, expires_at
        )
        INSERT INTO remembered_browsers (token_hash, user_id, created_at, expires_at)
          SELECT $4, user_id, created_at, expires_at FROM gone RETURNING expires_at`,
        [tokenHash, userId, Date.now(), nextHash, tickedAfter],
        { name: 'remembered-browser-rotate' },
      );
      return rows[0]?.expires_at;
    },
    async forgetAccount(userId) {
      const rows = await query(pool, 'DELETE FROM remembered_browsers WHERE user_id = $1 RETURNING 1', [userId]);
      return rows.length;
    },
    pruneExpired: () =>
      deleteInBatches(
        pool,
        `WITH gone AS (DELETE FROM remembered_browsers WHERE token_hash IN
          (SELECT token_hash FROM remembered_browsers WHERE expires_at <= $1 LIMIT $2) AND expires_at <= $1 RETURNING 1)
        SELECT count(*)::int AS count FROM gone`,
        [Date.now()],
        PRUNE_BATCH,
      ),
  };
}
