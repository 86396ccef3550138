// The SQLite backend: one better-sqlite3 connection (WAL) holds accounts, the audit log, sessions
// and counters. Several processes on one file share it; each store's step is one statement or
// one transaction, which SQLite serialises.
import { NEXT_SESSION_EPOCH } from '../session-epoch.ts';
import type { DatabaseBackend, StateOptions } from '../backend.ts';
import { createAccountStore } from './account-store.ts';
import fs from 'node:fs';
import { createAuditLog, createSqliteAuditTrail } from './audit-log.ts';
import { createSqlitePasskeyStore } from './passkey-store.ts';
import { createRecoveryCodeStore } from './recovery-code-store.ts';
import { createRememberedBrowserStore } from './remembered-browsers.ts';
import { pruneAuditLog } from './audit-retention.ts';
import { createSqliteSessionStore } from './session-store.ts';
import { createSqliteLimits } from './limits.ts';
import { openDatabase } from './connection.ts';
import type { Database } from './connection.ts';
import { applyMigrations } from '../migrations.ts';

export type SqliteBackend = DatabaseBackend & { db: Database; appliedMigrations: string[] };

/** `migrate: false` (the admin commands): the file must exist already, and its migrations are left alone. */
export async function openSqliteBackend(
  path: string,
  options: StateOptions & { migrationsDirs: string[]; migrate?: boolean },
): Promise<SqliteBackend> {
  const migrate = options.migrate ?? true;
  if (!migrate && path !== ':memory:' && !fs.existsSync(path)) throw new Error(`the database ${path} does not exist (check DATABASE_URL)`);
  const db = openDatabase(path);
  try {
    const applied = migrate ? applyMigrations(db, options.migrationsDirs).applied : [];
    return sqliteBackend(db, applied, options);
  } catch (error) {
    // a refused migration, or (not migrated) a schema without the tables the stores prepare for
    db.close();
    throw error;
  }
}

/** Applies pending migrations to the file (made if missing); the names applied. */
export function migrateSqlite(path: string, migrationsDirs: string[]): string[] {
  const db = openDatabase(path);
  try {
    return applyMigrations(db, migrationsDirs).applied;
  } finally {
    db.close();
  }
}

function sqliteBackend(db: Database, applied: string[], options: StateOptions): SqliteBackend {
  const sessions = createSqliteSessionStore(db, options.rules);
  const limits = createSqliteLimits(db, options.limitOverrides);
  const ping = db.prepare('SELECT 1');
  // `email = ?` compares with the column's NOCASE collation, disabled accounts included.
  // `email = ?` compares with the column's NOCASE collation, as the account store does.
  const findByEmail = db.prepare<[string], { id: number; email: string; phone: string; sessionEpoch: number; disabled: number }>(
    'SELECT id, email, phone, session_epoch AS sessionEpoch, disabled FROM users WHERE email = ?',
  );
  const moveAnyEpoch = db.prepare<[number]>(`UPDATE users SET session_epoch = ${NEXT_SESSION_EPOCH} WHERE id = ?`);
  const insertUser = db.prepare<[string, string, string, number]>(
    'INSERT INTO users (email, phone, password_hash, must_change_password) VALUES (?, ?, ?, ?)',
  );

  return {
    engine: 'sqlite',
    db,
    appliedMigrations: applied,
    accounts: createAccountStore(db),
    audit: createAuditLog(db),
    recoveryCodes: createRecoveryCodeStore(db),
    rememberedBrowsers: createRememberedBrowserStore(db),
    passkeys: createSqlitePasskeyStore(db),
    sessions,
    limits,
    async ping() {
      ping.get();
    },
    async prune() {
      sessions.pruneExpired();
      limits.pruneExpired();
    },
    async pruneAudit(retentionDays) {
      return pruneAuditLog(db, retentionDays);
    },
    auditTrail: createSqliteAuditTrail(db),
    async findAnyAccount(email) {
      const row = findByEmail.get(email);
      return row && { ...row, disabled: row.disabled !== 0 };
    },
    async moveAnySessionEpoch(userId) {
      moveAnyEpoch.run(userId);
    },
    async demoAccountExists(email) {
      return findByEmail.get(email) !== undefined;
    },
    async createAccount({ email, phone, passwordHash, mustChangePassword = true }) {
      insertUser.run(email, phone, passwordHash, mustChangePassword ? 1 : 0);
    },
    async close() {
      if (db.open) db.close();
    },
  };
}
