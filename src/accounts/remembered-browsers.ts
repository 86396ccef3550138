// "Remember this browser": the rows of remembered_browsers on SQLite (PostgreSQL's twin is
// src/db/postgres/remembered-browsers.ts). Only a SHA-256 of each token is stored; the token
// itself is in the browser's cookie alone. Using a token is one atomic step that deletes its row,
// if it is live, this account's and made under the account's current session epoch, and stores
// the successor token with the same times, epoch and browser id: of two requests presenting the
// same token, exactly one gets a successor, and whatever moved the epoch meanwhile (sign out
// everywhere, a password change, disabling) leaves no token that works. A password or phone
// change and disabling the account also delete the account's rows (triggers, migration 0003).
import type { Database } from '../db/connection.ts';

/** A token's row as the rotation keeps it: when it runs out, and which browser it is. */
export interface RememberedToken {
  expiresAt: number;
  /** Random, the same for every successor of the first token; never the token or its hash. */
  browserId: string;
}

export interface RememberedBrowserStore {
  /**
   * Remembers a browser of this account from `createdAt` until `expiresAt` (ms since the epoch),
   * only if the account is enabled and its session epoch is still `sessionEpoch` (the one the
   * sign-in read); whether it did.
   */
  add(userId: number, tokenHash: string, times: { createdAt: number; expiresAt: number }, browser: { sessionEpoch: number; browserId: string }): Promise<boolean>;
  /**
   * Replaces the account's live row `tokenHash` with `nextHash` (same times, epoch and browser),
   * atomically, if the box was ticked after `tickedAfter` (ms; so that a lowered
   * REMEMBER_DEVICE_DAYS applies to browsers remembered already) and the row's epoch is the
   * account's. Undefined when there is no such row of this account (nothing is touched: a row of
   * another account stays as it is). `browserId` names a row that has none (inserted by hand).
   */
  rotate(userId: number, tokenHash: string, nextHash: string, tickedAfter: number, browserId: string): Promise<RememberedToken | undefined>;
  /** Forgets every browser of the account ("sign out everywhere"); returns how many. */
  forgetAccount(userId: number): Promise<number>;
  /** Forgets one browser of the account, whatever token it holds now; returns how many rows. */
  forgetBrowser(userId: number, browserId: string): Promise<number>;
  /** Deletes expired rows; returns how many. */
  pruneExpired(): Promise<number>;
}

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
