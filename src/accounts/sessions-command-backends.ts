// What `npm run sessions` (sessions-command.ts) reads and changes: the account in the database,
// its sessions where the app keeps them (Redis when REDIS_URL is set, else the database), its
// remembered browsers and the audit log. Each engine's own stores do the work, so the command
// ends sessions and forgets browsers exactly as the app does.
import fs from 'node:fs';
import { openDatabase } from '../db/connection.ts';
import type { DatabaseLocation } from '../db/connection.ts';
import type { AuthSessionStore, SessionRules } from '../session/auth-session-store.ts';
import { createSqliteSessionStore } from '../session/sqlite-session-store.ts';
import { NEXT_SESSION_EPOCH } from './account-store.ts';
import { createAuditLog } from './audit-log.ts';
import type { AuditLog } from './audit-log.ts';
import { createRememberedBrowserStore } from './remembered-browsers.ts';

/** Redis answers within this at the start, or the command gives up (as the app does). */
const REDIS_CONNECT_MS = 5000;

/** The account by email, disabled or not: an admin lists and revokes a disabled account's sessions too. */
export type CommandAccount = { id: number; email: string; sessionEpoch: number; disabled: boolean };

/** The database's part: the account, its session store when Redis is not used, and what --revoke changes. */
export interface CommandDatabase {
  findAccount(email: string): Promise<CommandAccount | undefined>;
  sessions(): AuthSessionStore;
  /** A new session epoch (disabled or not): no session, pending sign-in or remembered token from before matches it. */
  moveSessionEpoch(userId: number): Promise<void>;
  forgetRememberedBrowsers(userId: number): Promise<number>;
  audit: AuditLog;
  close(): Promise<void>;
}

type AccountRow = { id: number; email: string; sessionEpoch: number; disabled: number };
const toAccount = (row: AccountRow | undefined): CommandAccount | undefined => row && { ...row, disabled: row.disabled !== 0 };
const ACCOUNT_COLUMNS = 'id, email, session_epoch AS "sessionEpoch", disabled';

export async function openCommandDatabase(location: DatabaseLocation, rules: SessionRules): Promise<CommandDatabase> {
  if (location.kind === 'postgres') {
    // Loaded only when used: a SQLite setup never needs pg.
    const { createPool, query } = await import('../db/postgres/pool.ts');
    const { createPostgresSessionStore } = await import('../db/postgres/session-store.ts');
    const { createPostgresRememberedBrowserStore } = await import('../db/postgres/remembered-browsers.ts');
    const { createPostgresAuditLog } = await import('../db/postgres/audit-log.ts');
    const pool = createPool(location.url, { max: 1 });
    return {
      async findAccount(email) {
        // ASCII-only case folding, as the unique index and the account store compare emails.
        const rows = await query<AccountRow>(pool, `SELECT ${ACCOUNT_COLUMNS} FROM users WHERE lower(email COLLATE "C") = lower($1 COLLATE "C")`, [email]);
        return toAccount(rows[0]);
      },
      sessions: () => createPostgresSessionStore(pool, rules),
      async moveSessionEpoch(userId) {
        await query(pool, `UPDATE users SET session_epoch = ${NEXT_SESSION_EPOCH} WHERE id = $1`, [userId]);
      },
      forgetRememberedBrowsers: (userId) => createPostgresRememberedBrowserStore(pool).forgetAccount(userId),
      audit: createPostgresAuditLog(pool),
      close: () => pool.end(),
    };
  }
  if (!fs.existsSync(location.path)) {
    throw new Error(`the database ${location.path} does not exist (check DATABASE_URL)`);
  }
  const db = openDatabase(location.path);
  try {
    // `email = ?` compares with the column's NOCASE collation, as the account store does.
    const find = db.prepare<[string], AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM users WHERE email = ?`);
    const moveEpoch = db.prepare<[number]>(`UPDATE users SET session_epoch = ${NEXT_SESSION_EPOCH} WHERE id = ?`);
    const remembered = createRememberedBrowserStore(db);
    return {
      findAccount: async (email) => toAccount(find.get(email)),
      sessions: () => createSqliteSessionStore(db, rules),
      async moveSessionEpoch(userId) {
        moveEpoch.run(userId);
      },
      forgetRememberedBrowsers: (userId) => remembered.forgetAccount(userId),
      audit: createAuditLog(db),
      close: async () => {
        db.close();
      },
    };
  } catch (error) {
    db.close();
    throw error;
  }
}

export async function openRedisSessions(url: string, keyPrefix: string, rules: SessionRules): Promise<{ sessions: AuthSessionStore; close(): Promise<void> }> {
  const { closeClient, createRedisClient, untilReady } = await import('../state/redis/client.ts');
  const { createRedisSessionStore } = await import('../state/redis/session-store.ts');
  const client = createRedisClient(url);
  await untilReady(client, REDIS_CONNECT_MS);
  return { sessions: createRedisSessionStore(client, keyPrefix, rules), close: () => closeClient(client) };
}
