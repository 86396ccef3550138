// Accounts on PostgreSQL: the same lookups as src/accounts/account-store.ts. Emails match
// case-insensitively through `lower(email COLLATE "C")`, which the unique index
// email_is_unique_ignoring_case serves (PostgreSQL has no NOCASE column). Under the C collation
// lower() folds ASCII letters only, exactly like SQLite's NOCASE: 'Émile' and 'émile' are two
// accounts on both engines, whatever the database's own collation.
import type { Account, AccountStore } from '../../accounts/account-store.ts';
import { NEXT_SESSION_EPOCH } from '../session-epoch.ts';
import { query } from './pool.ts';
import { inTransaction } from './transaction.ts';
import type { Pool } from './pool.ts';

const ACCOUNT_COLUMNS =
  'id, email, phone, password_hash AS "passwordHash", session_epoch AS "sessionEpoch", must_change_password = 1 AS "mustChangePassword"';
/** users.id is an integer: a larger number is no account, not a database error. */
const MAX_ID = 2 ** 31 - 1;

export function createPostgresAccountStore(pool: Pool): AccountStore {
  // Disabled accounts are invisible: they cannot sign in and an existing session's lookup fails.
  return {
    async findByEmail(email) {
      if (typeof email !== 'string') return undefined;
      const [account] = await query<Account>(
        pool,
        `SELECT ${ACCOUNT_COLUMNS} FROM users WHERE lower(email COLLATE "C") = lower($1 COLLATE "C") AND disabled = 0`,
        [email.trim()],
        { name: 'account-by-email' },
      );
      return account;
    },
    async findById(id) {
      if (!Number.isSafeInteger(id) || id < 1 || id > MAX_ID) return undefined;
      const [account] = await query<Account>(pool, `SELECT ${ACCOUNT_COLUMNS} FROM users WHERE id = $1 AND disabled = 0`, [id], {
        name: 'account-by-id',
      });
      return account;
    },
    async updatePasswordHash(id, passwordHash, verifiedHash) {
      // As on SQLite: the trigger forgets remembered browsers on any password_hash change, so the
      // rows are put back in the same transaction: a rehash is not a new password. The account's
      // row is locked first, and only while it still holds the verified hash: a password change
      // committed meanwhile wins (it is never overwritten with the old password), and one that
      // comes later waits for this transaction (the same lock order as its own UPDATE and trigger).
      return inTransaction(pool, async (run) => {
        const [still] = await run('SELECT 1 FROM users WHERE id = $1 AND password_hash = $2 FOR UPDATE', [id, verifiedHash]);
        if (!still) return false;
        const remembered = await run('SELECT * FROM remembered_browsers WHERE user_id = $1 FOR UPDATE', [id]);
        await run('UPDATE users SET password_hash = $1, updated_at = now() WHERE id = $2', [passwordHash, id]);
        for (const row of remembered) {
          await run(
            `INSERT INTO remembered_browsers (token_hash, user_id, created_at, expires_at, session_epoch, browser_id)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
            [row.token_hash, row.user_id, row.created_at, row.expires_at, row.session_epoch, row.browser_id],
          );
        }
        return true;
      });
    },
    async moveSessionEpoch(id) {
      const [moved] = await query<{ sessionEpoch: number }>(
        pool,
        `UPDATE users SET session_epoch = ${NEXT_SESSION_EPOCH} WHERE id = $1 AND disabled = 0 RETURNING session_epoch AS "sessionEpoch"`,
        [id],
      );
      return moved?.sessionEpoch;
    },
    async changePassword(id, passwordHash, expectedHash) {
      const [changed] = await query<{ sessionEpoch: number }>(
        pool,
        `UPDATE users SET password_hash = $1, must_change_password = 0, session_epoch = ${NEXT_SESSION_EPOCH}, updated_at = now()
         WHERE id = $2 AND password_hash = $3 AND disabled = 0 RETURNING session_epoch AS "sessionEpoch"`,
        [passwordHash, id, expectedHash],
      );
      return changed?.sessionEpoch;
    },
    async changePhone(id, phone, expected) {
      // One statement: the row lock makes a second change (or an epoch move) wait, then find the
      // phone or the epoch no longer the expected one. The trigger
      // users_credentials_changed_forget_browsers (0003) runs inside it.
      const [changed] = await query<{ sessionEpoch: number }>(
        pool,
        `UPDATE users SET phone = $1, session_epoch = ${NEXT_SESSION_EPOCH}, updated_at = now()
         WHERE id = $2 AND phone = $3 AND session_epoch = $4 AND disabled = 0 RETURNING session_epoch AS "sessionEpoch"`,
        [phone, id, expected.phone, expected.sessionEpoch],
      );
      return changed?.sessionEpoch;
    },
  };
}
