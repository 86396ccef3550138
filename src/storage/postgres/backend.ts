// The PostgreSQL backend: one pg.Pool holds accounts, the audit log, sessions and counters for
// every app process that shares the database. Each store step is one statement (ending a chain
// of rotations: one per link), atomic under concurrency; a server that does not answer surfaces as
// BackendUnavailableError, and the pool reconnects by itself once it is back.
import { NEXT_SESSION_EPOCH } from '../session-epoch.ts';
import type { DatabaseBackend, StateOptions } from '../backend.ts';
import { createPostgresAccountStore } from './account-store.ts';
import { createPostgresAuditLog, createPostgresAuditTrail, prunePostgresAuditLog } from './audit-log.ts';
import { createPostgresLimits } from './limits.ts';
import { createPostgresPasskeyStore } from './passkey-store.ts';
import { createPostgresRecoveryCodeStore } from './recovery-code-store.ts';
import { createPostgresRememberedBrowserStore } from './remembered-browsers.ts';
import { applyPostgresMigrations } from './migrations.ts';
import { createPool, query, SAME_EMAIL } from './pool.ts';
import type { Pool } from './pool.ts';
import { createPostgresSessionStore } from './session-store.ts';

export type PostgresBackend = DatabaseBackend & { pool: Pool; appliedMigrations: string[] };

/** `ping()` gives up after this: /healthz must answer quickly even when the server does not. */
const PING_TIMEOUT_MS = 2000;

export async function openPostgresBackend(
  url: string,
  options: StateOptions & {
    migrationsDirs: string[];
    /** false (the admin commands): migrations are left alone. */
    migrate?: boolean;
    poolSize?: number;
    onIdleError?: (error: Error) => void;
    onRestored?: () => void;
    /** Told once when another instance is applying migrations and this one waits for it. */
    onMigrationWait?: (message: string) => void;
    /** How long to wait for that instance before refusing to start (default 60 s). */
    migrationLockWaitMs?: number;
  },
): Promise<PostgresBackend> {
  // Migrations first, on their own connection (generous timeouts of its own); a refusal opens no pool.
  const { applied } =
    options.migrate === false
      ? { applied: [] }
      : await applyPostgresMigrations(url, options.migrationsDirs, {
          onWait: options.onMigrationWait,
          lockWaitMs: options.migrationLockWaitMs,
        });
  const pool = createPool(url, { max: options.poolSize, onIdleError: options.onIdleError, onRestored: options.onRestored });
  const sessions = createPostgresSessionStore(pool, options.rules);
  const limits = createPostgresLimits(pool, options.limitOverrides);
  let closed: Promise<void> | undefined;

  return {
    engine: 'postgres',
    pool,
    appliedMigrations: applied,
    accounts: createPostgresAccountStore(pool),
    audit: createPostgresAuditLog(pool),
    recoveryCodes: createPostgresRecoveryCodeStore(pool),
    rememberedBrowsers: createPostgresRememberedBrowserStore(pool),
    passkeys: createPostgresPasskeyStore(pool),
    sessions,
    limits,
    async ping() {
      await query(pool, 'SELECT 1', [], { timeoutMs: PING_TIMEOUT_MS });
    },
    async prune() {
      await sessions.pruneExpired();
      await limits.pruneExpired();
    },
    pruneAudit: (retentionDays) => prunePostgresAuditLog(pool, retentionDays),
    auditTrail: createPostgresAuditTrail(pool),
    async findAnyAccount(email) {
      const rows = await query<{ id: number; email: string; phone: string; sessionEpoch: number; disabled: number }>(
        pool,
        `SELECT id, email, phone, session_epoch AS "sessionEpoch", disabled FROM users WHERE ${SAME_EMAIL}`,
        [email],
      );
      return rows[0] && { ...rows[0], disabled: rows[0].disabled !== 0 };
    },
    async moveAnySessionEpoch(userId) {
      await query(pool, `UPDATE users SET session_epoch = ${NEXT_SESSION_EPOCH} WHERE id = $1`, [userId]);
    },
    async demoAccountExists(email) {
      return (await query(pool, `SELECT 1 FROM users WHERE ${SAME_EMAIL}`, [email])).length > 0;
    },
    async createAccount({ email, phone, passwordHash, mustChangePassword = true }) {
      await query(pool, 'INSERT INTO users (email, phone, password_hash, must_change_password) VALUES ($1, $2, $3, $4)', [
        email,
        phone,
        passwordHash,
        mustChangePassword ? 1 : 0,
      ]);
    },
    // pg-pool refuses a second end(); closing twice (shutdown racing a failed start) is fine here.
    close() {
      closed ??= pool.end();
      return closed;
    },
  };
}
