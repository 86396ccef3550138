// Recovery codes on SQLite (table recovery_codes), as hashes only.
// Spending a code is one UPDATE that only an unused code matches, so of two requests with the
// same code exactly one gets it; issuing and replacing are one transaction each.
import type { RecoveryCodeStore } from '../../accounts/recovery-code-store.ts';
import type { Database } from './connection.ts';

export function createRecoveryCodeStore(db: Database): RecoveryCodeStore {
  const any = db.prepare<[number], 1>('SELECT 1 FROM recovery_codes WHERE user_id = ? LIMIT 1').pluck();
  const insert = db.prepare<[number, string, number]>('INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES (?, ?, ?)');
  const removeAll = db.prepare<[number]>('DELETE FROM recovery_codes WHERE user_id = ?');
  const markUsed = db.prepare<[number, number, string]>(
    'UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL',
  );
  const unmark = db.prepare<[number, string, number]>(
    'UPDATE recovery_codes SET used_at = NULL WHERE user_id = ? AND code_hash = ? AND used_at = ?',
  );
  const unused = db.prepare<[number], number>('SELECT count(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL').pluck();

  const insertAll = (userId: number, hashes: string[], now: number) => {
    for (const hash of hashes) insert.run(userId, hash, now);
  };
  // IMMEDIATE: the write lock is taken before the read, so another process on the same file
  // cannot slip its own set in between (a deferred transaction would fail with SQLITE_BUSY instead).
  const insertIfNone = db.transaction((userId: number, hashes: string[], now: number): boolean => {
    if (any.get(userId) !== undefined) return false;
    insertAll(userId, hashes, now);
    return true;
  });
  const replaceAll = db.transaction((userId: number, hashes: string[], now: number) => {
    removeAll.run(userId);
    insertAll(userId, hashes, now);
  });

  return {
    async insertIfNone(userId, hashes, now) {
      // Every sign-in asks: the common answer (it has codes) takes no write lock.
      if (any.get(userId) !== undefined) return false;
      return insertIfNone.immediate(userId, hashes, now);
    },
    async replaceAll(userId, hashes, now) {
      replaceAll.immediate(userId, hashes, now);
    },
    async markUsed(userId, hash, now) {
      return markUsed.run(now, userId, hash).changes === 1;
    },
    async markUnused(userId, hash, usedAt) {
      unmark.run(userId, hash, usedAt);
    },
    async unusedCount(userId) {
      return unused.get(userId) ?? 0;
    },
  };
}
