import type { Database } from '../db/connection.ts';

/**
 * `sessionEpoch` is stored in each of the account's sessions; when it no longer matches (the
 * account was disabled, or the id now names another account) the session is over.
 */
export type Account = { id: number; email: string; phone: string; passwordHash: string; sessionEpoch: number };

/** Async on purpose: the PostgreSQL store that comes later has the same shape. */
export type AccountStore = {
  findByEmail(email: string): Promise<Account | undefined>;
  findById(id: number): Promise<Account | undefined>;
  updatePasswordHash(id: number, passwordHash: string): Promise<void>;
};

const ACCOUNT_COLUMNS = 'id, email, phone, password_hash AS passwordHash, session_epoch AS sessionEpoch';

export function createAccountStore(db: Database): AccountStore {
  // `email = ?` compares with the column's NOCASE collation and uses its UNIQUE index.
  // Disabled accounts are invisible: they cannot sign in and an existing session's lookup fails.
  const byEmail = db.prepare<[string], Account>(
    `SELECT ${ACCOUNT_COLUMNS} FROM users WHERE email = ? AND disabled = 0`,
  );
  const byId = db.prepare<[number], Account>(`SELECT ${ACCOUNT_COLUMNS} FROM users WHERE id = ? AND disabled = 0`);
  const setPasswordHash = db.prepare<[string, number]>(
    'UPDATE users SET password_hash = ?, updated_at = CURRENT_TIMESTAMP WHERE id = ?',
  );

  return {
    async findByEmail(email) {
      if (typeof email !== 'string') return undefined;
      return byEmail.get(email.trim());
    },
    async findById(id) {
      if (!Number.isSafeInteger(id)) return undefined;
      return byId.get(id);
    },
    async updatePasswordHash(id, passwordHash) {
      setPasswordHash.run(passwordHash, id);
    },
  };
}
