// "Remember this browser": the rows of remembered_browsers on SQLite (PostgreSQL's twin is
// src/storage/postgres/remembered-browsers.ts). Only a SHA-256 of each token is stored; the token
// itself is in the browser's cookie alone. Using a token is one atomic step that deletes its row,
// if it is live and this account's, and stores the successor token with the same times (when the
// box was ticked, when it runs out): of two
// requests presenting the same token, exactly one gets a successor. A password or phone change
// and disabling the account forget the account's rows (triggers, migration 0003).
import type { RememberedBrowserStore } from '../../accounts/remembered-browsers.ts';
import type { Database } from './connection.ts';

export function createRememberedBrowserStore(db: Database): RememberedBrowserStore {
  const insert = db.prepare<[string, number, number, number]>(
    'INSERT INTO remembered_browsers (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)',
  );
  const take = db.prepare<[string, number, number, number], { createdAt: number; expiresAt: number }>(
    `DELETE FROM remembered_browsers WHERE token_hash = ? AND user_id = ? AND expires_at > ? AND created_at > ?
     RETURNING created_at AS createdAt, expires_at AS expiresAt`,
  );
  // One transaction: SQLite serialises writers (also across processes sharing the file).
  const rotate = db.transaction((userId: number, tokenHash: string, nextHash: string, now: number, tickedAfter: number) => {
    const taken = take.get(tokenHash, userId, now, tickedAfter);
    if (taken === undefined) return undefined;
    insert.run(nextHash, userId, taken.createdAt, taken.expiresAt);
    return taken.expiresAt;
  });
  const forget = db.prepare<[number]>('DELETE FROM remembered_browsers WHERE user_id = ?');
  const prune = db.prepare<[number]>('DELETE FROM remembered_browsers WHERE expires_at <= ?');

  return {
    async add(userId, tokenHash, { createdAt, expiresAt }) {
      insert.run(tokenHash, userId, createdAt, expiresAt);
    },
    async rotate(userId, tokenHash, nextHash, tickedAfter) {
      return rotate.immediate(userId, tokenHash, nextHash, Date.now(), tickedAfter);
    },
    async forgetAccount(userId) {
      return forget.run(userId).changes;
    },
    async pruneExpired() {
      return prune.run(Date.now()).changes;
    },
  };
}
