// The SQLite backend: one better-sqlite3 connection (WAL) holds accounts, the audit log, sessions
// and counters. Several processes on one file share it; each store's step is one statement or
// one transaction, which SQLite serialises.
import type { DatabaseBackend, StateOptions } from '../backend.ts';
import { createAccountStore } from './account-store.ts';
import { createAuditLog } from './audit-log.ts';
import { createRecoveryCodeStore } from './recovery-code-store.ts';
import { createRememberedBrowserStore } from './remembered-browsers.ts';
import { pruneAuditLog } from './audit-retention.ts';
import { createSqliteSessionStore } from './session-store.ts';
import { createSqliteLimits } from './limits.ts';
import { openDatabase } from './connection.ts';
import type { Database } from './connection.ts';
import { applyMigrations } from '../migrations.ts';

export type SqliteBackend = DatabaseBackend & { db: Database; appliedMigrations: string[] };

export async function openSqliteBackend(path: string, options: StateOptions & { migrationsDirs: string[] }): Promise<SqliteBackend> {
  const db = openDatabase(path);
  let applied: string[];
  try {
    applied = applyMigrations(db, options.migrationsDirs).applied;
  } catch (error) {
    db.close();
    throw error;
  }
  const sessions = createSqliteSessionStore(db, options.rules);
  const limits = createSqliteLimits(db, options.limitOverrides);
  const ping = db.prepare('SELECT 1');
  const findByEmail = db.prepare<[string], 1>('SELECT 1 FROM users WHERE email = ?').pluck();
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
