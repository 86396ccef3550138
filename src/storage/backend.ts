// Where the app keeps its state, behind one interface per engine. A database (SQLite or
// PostgreSQL) always holds accounts, migrations and the audit log, and also sessions and the
// counters unless Redis takes those. Every operation that must hold under parallel requests is
// one atomic step inside the engine (see each implementation).
import type { AccountStore } from '../accounts/account-store.ts';
import type { AuditLog, AuditReader } from '../accounts/audit-log.ts';
import type { AccountSeeding } from '../accounts/demo-account.ts';
import type { PasskeyStore } from '../accounts/passkey-store.ts';
import type { RecoveryCodeStore } from '../accounts/recovery-code-store.ts';
import type { RememberedBrowserStore } from '../accounts/remembered-browsers.ts';
import type { AuthSessionStore, SessionRules } from '../session/auth-session-store.ts';
import type { LimitName, LimitSettings, Limits } from '../state/limits.ts';

/** An account as the admin commands see it, disabled ones included. */
export type AdminAccount = { id: number; email: string; phone: string; sessionEpoch: number; disabled: boolean };

export interface StateOptions {
  /** How a session's own fields give its expiry and account (signin-state.ts). */
  rules: SessionRules;
  limitOverrides: Partial<Record<LimitName, LimitSettings>>;
}

/** Sessions and counters: kept by the database, or by Redis when REDIS_URL is set. */
export interface StateBackend {
  sessions: AuthSessionStore;
  limits: Limits;
  /** Resolves when the engine answers; rejects (an unavailable error) when it does not. */
  ping(): Promise<void>;
  /** Deletes what has expired (sessions, tombstones, counters); a no-op where the engine expires keys itself. */
  prune(): Promise<void>;
  close(): Promise<void>;
}

export interface DatabaseBackend extends StateBackend, AccountSeeding {
  engine: 'sqlite' | 'postgres';
  accounts: AccountStore;
  audit: AuditLog;
  /** "Remember this browser" tokens (hashed), always in the database. */
  rememberedBrowsers: RememberedBrowserStore;
  /** Recovery codes (hashed): spent in one atomic step each. */
  recoveryCodes: RecoveryCodeStore;
  /** Passkeys (WebAuthn credentials), always in the database: the limit per account and the counter held atomically. */
  passkeys: PasskeyStore;
  /** Audit events older than this many days are deleted; returns how many. */
  pruneAudit(retentionDays: number): Promise<number>;
  /** The admin's read of the audit log. */
  auditTrail: AuditReader;
  /** Any account with this email (any letter case), disabled ones included: for the admin commands. */
  findAnyAccount(email: string): Promise<AdminAccount | undefined>;
  /** A new session epoch for the account, disabled or not (an admin's revoke). */
  moveAnySessionEpoch(userId: number): Promise<void>;
}
