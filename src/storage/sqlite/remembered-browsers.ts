// "Remember this browser": the rows of remembered_browsers on SQLite (PostgreSQL's twin is
// src/storage/postgres/remembered-browsers.ts). Only a SHA-256 of each token is stored; the token
// itself is in the browser's cookie alone. Using a token is one atomic step that deletes its row,
// if it is live, this account's and made under the account's current session epoch, and stores
// the successor token with the same times, epoch and browser id: of two requests presenting the
// same token, exactly one gets a successor, and whatever moved the epoch meanwhile (sign out
// everywhere, a password change, disabling) leaves no token that works. A password or phone
// change and disabling the account also delete the account's rows (triggers, migration 0003).
import type { RememberedBrowserStore, RememberedToken } from '../../accounts/remembered-browsers.ts';
import type { Database } from './connection.ts';

export function createRememberedBrowserStore(db: Database): RememberedBrowserStore {
  const insert = db.prepare<[string, number, number, string, number, number]>(
    `INSERT INTO remembered_browsers (token_hash, user_id, created_at, expires_at, session_epoch, browser_id)
     SELECT ?, id, ?, ?, session_epoch, ? FROM users WHERE id = ? AND session_epoch = ? AND disabled = 0`,
  );
  const take = db.prepare<[string, number, number, number], RememberedToken & { createdAt: number; sessionEpoch: number }>(
    `DELETE FROM remembered_browsers
     WHERE token_hash = ? AND user_id = ? AND expires_at > ? AND created_at > ?
       AND session_epoch = (SELECT session_epoch FROM users WHERE users.id = remembered_browsers.user_id AND disabled = 0)
     RETURNING created_at AS createdAt, expires_at AS expiresAt, session_epoch AS sessionEpoch, browser_id AS browserId`,
  );
  const insertSuccessor = db.prepare<[string, number, number, number, number, string]>(
    'INSERT INTO remembered_browsers (token_hash, user_id, created_at, expires_at, session_epoch, browser_id) VALUES (?, ?, ?, ?, ?, ?)',
  );
  // One transaction: SQLite serialises writers (also across processes sharing the file).
  const rotate = db.transaction((userId: number, tokenHash: string, nextHash: string, now: number, tickedAfter: number, newId: string) => {
    const taken = take.get(tokenHash, userId, now, tickedAfter);
    if (taken === undefined) return undefined;
    const browserId = taken.browserId ?? newId;
    insertSuccessor.run(nextHash, userId, taken.createdAt, taken.expiresAt, taken.sessionEpoch, browserId);
    return { expiresAt: taken.expiresAt, browserId };
  });
  const forget = db.prepare<[number]>('DELETE FROM remembered_browsers WHERE user_id = ?');
  const forgetOne = db.prepare<[number, string]>('DELETE FROM remembered_browsers WHERE user_id = ? AND browser_id = ?');
  const prune = db.prepare<[number]>('DELETE FROM remembered_browsers WHERE expires_at <= ?');

  return {
    async add(userId, tokenHash, { createdAt, expiresAt }, { sessionEpoch, browserId }) {
      return insert.run(tokenHash, createdAt, expiresAt, browserId, userId, sessionEpoch).changes === 1;
    },
    async rotate(userId, tokenHash, nextHash, tickedAfter, browserId) {
      return rotate.immediate(userId, tokenHash, nextHash, Date.now(), tickedAfter, browserId);
    },
    async forgetAccount(userId) {
      return forget.run(userId).changes;
    },
    async forgetBrowser(userId, browserId) {
      return forgetOne.run(userId, browserId).changes;
    },
    async pruneExpired() {
      return prune.run(Date.now()).changes;
    },
  };
}
