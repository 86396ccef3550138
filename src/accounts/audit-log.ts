// Who did what and when, in the database beside the accounts. Never secrets, codes or request IDs.
import type { Database } from 'better-sqlite3';

export type AuditEvent =
  | 'password-ok'
  | 'password-failed'
  | 'password-throttled'
  | 'code-sent'
  | 'code-send-failed'
  | 'code-resent'
  | 'code-ok'
  | 'code-failed'
  | 'code-locked-out'
  | 'signin-cancelled'
  | 'signed-out';

export interface AuditLog {
  record(event: AuditEvent, entry: { userId?: number; ip?: string; detail?: string }): void;
}

export function createAuditLog(db: Database): AuditLog {
  // The subquery records NULL for an account deleted meanwhile (the column references users).
  const insert = db.prepare(
    'INSERT INTO audit_log (event, user_id, ip, detail) VALUES (?, (SELECT id FROM users WHERE id = ?), ?, ?)',
  );
  return {
    record(event, { userId, ip, detail }) {
      insert.run(event, userId ?? null, ip ?? null, detail ?? null);
    },
  };
}
