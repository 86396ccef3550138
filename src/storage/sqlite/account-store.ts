// Accounts on SQLite (table users).
import type { Account, AccountStore } from '../../accounts/account-store.ts';
import { NEXT_SESSION_EPOCH } from '../session-epoch.ts';
import type { Database } from './connection.ts';

const ACCOUNT_COLUMNS =
  'id, email, phone, password_hash AS passwordHash, session_epoch AS sessionEpoch, must_change_password AS mustChangePassword';
/** SQLite has no booleans: the flag comes back as 0 or 1. */
type AccountRow = Omit<Account, 'mustChangePassword'> & { mustChangePassword: number };
const toAccount = (row: AccountRow | undefined): Account | undefined => row && { ...row, mustChangePassword: row.mustChangePassword === 1 };

export function createAccountStore(db: Database): AccountStore {
  // `email = ?` compares with the column's NOCASE collation and uses its UNIQUE index.
  // Disabled accounts are invisible: they cannot sign in and an existing session's lookup fails.
  const byEmail = db.prepare<[string], AccountRow>(
    `SELECT ${ACCOUNT_COLUMNS} FROM users WHERE email = ? AND disabled = 0`,
  );
  const byId = db.prepare<[number], AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM users WHERE id = ? AND disabled = 0`);
  const setPasswordHash = db.prepare<[string, number, string]>(
    'UPDATE users SET password_hash = ?, updated_at = CURRENT_TIMESTAMP WHERE id = ? AND password_hash = ?',
  );
  const rememberedOf = db.prepare<[number], Record<string, number | string>>('SELECT * FROM remembered_browsers WHERE user_id = ?');
  const restoreRemembered = db.prepare(
    `INSERT OR IGNORE INTO remembered_browsers (token_hash, user_id, created_at, expires_at, session_epoch, browser_id)
     VALUES (:token_hash, :user_id, :created_at, :expires_at, :session_epoch, :browser_id)`,
  );
  // The trigger that forgets remembered browsers on a password change cannot tell a rehash of the
  // same password from a new one: the rows are put back in the same transaction.
  const rehash = db.transaction((id: number, passwordHash: string, verifiedHash: string): boolean => {
    const remembered = rememberedOf.all(id);
    if (setPasswordHash.run(passwordHash, id, verifiedHash).changes === 0) return false;
    for (const row of remembered) restoreRemembered.run(row);
    return true;
  });
  const moveEpoch = db.prepare<[number], { sessionEpoch: number }>(
    `UPDATE users SET session_epoch = ${NEXT_SESSION_EPOCH} WHERE id = ? AND disabled = 0 RETURNING session_epoch AS sessionEpoch`,
  );
  const changeOwnPassword = db.prepare<[string, number, string], { sessionEpoch: number }>(
    `UPDATE users SET password_hash = ?, must_change_password = 0, session_epoch = ${NEXT_SESSION_EPOCH}, updated_at = CURRENT_TIMESTAMP
     WHERE id = ? AND password_hash = ? AND disabled = 0 RETURNING session_epoch AS sessionEpoch`,
  );
  // The trigger users_credentials_changed_forget_browsers (0003) deletes the remembered browsers in this statement.
  const changeOwnPhone = db.prepare<[string, number, string, number], { sessionEpoch: number }>(
    `UPDATE users SET phone = ?, session_epoch = ${NEXT_SESSION_EPOCH}, updated_at = CURRENT_TIMESTAMP
     WHERE id = ? AND phone = ? AND session_epoch = ? AND disabled = 0 RETURNING session_epoch AS sessionEpoch`,
  );

  return {
    async findByEmail(email) {
      if (typeof email !== 'string') return undefined;
      return toAccount(byEmail.get(email.trim()));
    },
    async findById(id) {
      if (!Number.isSafeInteger(id)) return undefined;
      return toAccount(byId.get(id));
    },
    async updatePasswordHash(id, passwordHash, verifiedHash) {
      // IMMEDIATE: the write lock before the read, so a change from another process cannot slip in between.
      return rehash.immediate(id, passwordHash, verifiedHash);
    },
    async moveSessionEpoch(id) {
      return moveEpoch.get(id)?.sessionEpoch;
    },
    async changePassword(id, passwordHash, expectedHash) {
      return changeOwnPassword.get(passwordHash, id, expectedHash)?.sessionEpoch;
    },
    async changePhone(id, phone, expected) {
      return changeOwnPhone.get(phone, id, expected.phone, expected.sessionEpoch)?.sessionEpoch;
    },
  };
}
