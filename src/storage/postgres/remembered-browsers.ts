// "Remember this browser" on PostgreSQL: the same rows and rules as
// src/accounts/remembered-browsers.ts. Using a token is one statement: the DELETE of the
// account's live row feeds the INSERT of its successor, so of two requests presenting the same
// token only one finds the row (the other waits on its lock, then finds it gone).
//
// Under READ COMMITTED a statement does not see rows another one inserts while it runs, so a
// successor written while "Sign out everywhere" or a password change deletes the account's rows
// can survive the DELETE. It is dead all the same: it carries the epoch that change moved on, and
// the rotation only takes a row whose epoch is the account's. Forgetting one browser moves no
// epoch: there the rotation reads the account row FOR SHARE and forgetBrowser locks it first, in
// its own statement, so its DELETE runs after any rotation in flight committed, and sees its row.
import type { RememberedBrowserStore } from '../../accounts/remembered-browsers.ts';
import { deleteInBatches, query } from './pool.ts';
import { inTransaction } from './transaction.ts';
import type { Pool } from './pool.ts';

const PRUNE_BATCH = 5000;

export function createPostgresRememberedBrowserStore(pool: Pool): RememberedBrowserStore {
  return {
    async add(userId, tokenHash, { createdAt, expiresAt }, { sessionEpoch, browserId }) {
      const rows = await query(
        pool,
        `INSERT INTO remembered_browsers (token_hash, user_id, created_at, expires_at, session_epoch, browser_id)
         SELECT $1, id, $3, $4, session_epoch, $5 FROM users WHERE id = $2 AND session_epoch = $6 AND disabled = 0 RETURNING 1`,
        [tokenHash, userId, createdAt, expiresAt, browserId, sessionEpoch],
      );
      return rows.length === 1;
    },
    async rotate(userId, tokenHash, nextHash, tickedAfter, browserId) {
      const rows = await query<{ expires_at: number; browser_id: string }>(
        pool,
        `WITH gone AS (
          DELETE FROM remembered_browsers
          WHERE token_hash = $1 AND user_id = $2 AND expires_at > $3 AND created_at > $5
            AND session_epoch = (SELECT session_epoch FROM users WHERE id = $2 AND disabled = 0 FOR SHARE)
          RETURNING user_id, created_at, expires_at, session_epoch, coalesce(browser_id, $6) AS browser_id
        )
        INSERT INTO remembered_browsers (token_hash, user_id, created_at, expires_at, session_epoch, browser_id)
          SELECT $4, user_id, created_at, expires_at, session_epoch, browser_id FROM gone RETURNING expires_at, browser_id`,
        [tokenHash, userId, Date.now(), nextHash, tickedAfter, browserId],
        { name: 'remembered-browser-rotate' },
      );
      return rows[0] && { expiresAt: Number(rows[0].expires_at), browserId: rows[0].browser_id };
    },
    async forgetAccount(userId) {
      const rows = await query(pool, 'DELETE FROM remembered_browsers WHERE user_id = $1 RETURNING 1', [userId]);
      return rows.length;
    },
    forgetBrowser: (userId, browserId) =>
      inTransaction(pool, async (run) => {
        await run('SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE', [userId]);
        return (await run('DELETE FROM remembered_browsers WHERE user_id = $1 AND browser_id = $2 RETURNING 1', [userId, browserId])).length;
      }),
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
