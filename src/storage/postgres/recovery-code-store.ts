// Recovery codes on PostgreSQL: the same steps as src/accounts/recovery-code-store.ts. Spending
// a code is one UPDATE (row-locked: of two at once, the second finds used_at set and matches
// nothing). Issuing and replacing run in one transaction that first locks the account's users
// row, so two of them for one account take turns and each sees what the other committed
// (READ COMMITTED reads afresh per statement).
import type { RecoveryCodeStore } from '../../accounts/recovery-code-store.ts';
import { query } from './pool.ts';
import { inTransaction } from './transaction.ts';
import type { Pool } from './pool.ts';


const ANY = 'SELECT 1 FROM recovery_codes WHERE user_id = $1 LIMIT 1';
const LOCK_ACCOUNT = 'SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE';
const INSERT_ALL = 'INSERT INTO recovery_codes (user_id, code_hash, created_at) SELECT $1, unnest($2::text[]), $3';


export function createPostgresRecoveryCodeStore(pool: Pool): RecoveryCodeStore {
  return {
    async insertIfNone(userId, hashes, now) {
      // Every sign-in asks: the common answer (it has codes) is one statement, no transaction.
      if ((await query(pool, ANY, [userId], { name: 'recovery-codes-any' })).length > 0) return false;
      return inTransaction(pool, async (run) => {
        await run(LOCK_ACCOUNT, [userId]);
        if ((await run(ANY, [userId])).length > 0) return false;
        await run(INSERT_ALL, [userId, hashes, now]);
        return true;
      });
    },
    replaceAll: (userId, hashes, now) =>
      inTransaction(pool, async (run) => {
        await run(LOCK_ACCOUNT, [userId]);
        await run('DELETE FROM recovery_codes WHERE user_id = $1', [userId]);
        await run(INSERT_ALL, [userId, hashes, now]);
      }),
    async markUsed(userId, hash, now) {
      const used = await query(
        pool,
        'UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL RETURNING 1 AS used',
        [now, userId, hash],
      );
      return used.length === 1;
    },
    async markUnused(userId, hash, usedAt) {
      await query(pool, 'UPDATE recovery_codes SET used_at = NULL WHERE user_id = $1 AND code_hash = $2 AND used_at = $3', [userId, hash, usedAt]);
    },
    async unusedCount(userId) {
      const [{ count }] = await query<{ count: number }>(
        pool,
        'SELECT count(*) AS count FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL',
        [userId],
      );
      return count;
    },
  };
}
