import type { Database } from '../db/connection.ts';

/**
 * `sessionEpoch` is stored in each of the account's sessions; when it no longer matches (the
 * account was disabled, its password changed, or the id now names another account) the session
 * is over. `mustChangePassword`: the password is still the one an admin seeded (ASVS 6.4.1).
 */
export type Account = { id: number; email: string; phone: string; passwordHash: string; sessionEpoch: number; mustChangePassword: boolean };

/** Async on purpose: the PostgreSQL store that comes later has the same shape. */
export type AccountStore = {
  findByEmail(email: string): Promise<Account | undefined>;
  findById(id: number): Promise<Account | undefined>;
  /**
   * The same password, hashed with today's parameters (at sign-in). Not a credential change: the
   * account's remembered browsers, which a password change forgets (trigger), are kept. Only if
   * the hash is still `verifiedHash` (the one the password was just checked against): a sign-in
   * with the old password that races the owner's change must not write the old password back.
   * Whether it was written.
   */
  updatePasswordHash(id: number, passwordHash: string, verifiedHash: string): Promise<boolean>;
  /**
   * "Sign out everywhere": a new session epoch, so that no session started before it (even one
   * being written at this moment) matches the account any more. Undefined for a disabled account.
   */
  moveSessionEpoch(id: number): Promise<number | undefined>;
  /**
   * The user's own new password, in one statement: the hash, must_change_password = 0, a new
   * session epoch (sessions started before the change are over) and updated_at. Only if the hash
   * is still `expectedHash` (the one the current password was checked against), so of two changes
   * racing, one wins. Returns the new session epoch, or undefined when nothing changed.
   */
  changePassword(id: number, passwordHash: string, expectedHash: string): Promise<number | undefined>;
};

const ACCOUNT_COLUMNS =
  'id, email, phone, password_hash AS passwordHash, session_epoch AS sessionEpoch, must_change_password AS mustChangePassword';
/** SQLite has no booleans: the flag comes back as 0 or 1. */
type AccountRow = Omit<Account, 'mustChangePassword'> & { mustChangePassword: number };
const toAccount = (row: AccountRow | undefined): Account | undefined => row && { ...row, mustChangePassword: row.mustChangePassword === 1 };
/** Moves the epoch on as disabling does (migrations/0002), so no old session matches it. */
export const NEXT_SESSION_EPOCH = '(session_epoch % 2147483646) + 1';

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
    'INSERT OR IGNORE INTO remembered_browsers (token_hash, user_id, created_at, expires_at) VALUES (:token_hash, :user_id, :created_at, :expires_at)',
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
      return rehash.immediate(id, passwordHash, verifiedHash);
    },
    async moveSessionEpoch(id) {
      return moveEpoch.get(id)?.sessionEpoch;
    },
    async changePassword(id, passwordHash, expectedHash) {
      return changeOwnPassword.get(passwordHash, id, expectedHash)?.sessionEpoch;
    },
  };
}
