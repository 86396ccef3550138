// Recording audit events on SQLite (table audit_log).
import type { AuditLog } from '../../accounts/audit-log.ts';
import type { Database } from './connection.ts';

const MAX_USER_AGENT = 512;

export function createAuditLog(db: Database): AuditLog {
  // The subquery records NULL for an account deleted meanwhile (the column references users).
  const insert = db.prepare(
    'INSERT INTO audit_log (event, user_id, ip, user_agent, detail) VALUES (?, (SELECT id FROM users WHERE id = ?), ?, ?, ?)',
  );
  return {
    async record(event, from, { userId, detail } = {}) {
      const userAgent = from.headers['user-agent']?.slice(0, MAX_USER_AGENT) ?? null;
      insert.run(event, userId ?? null, from.ip, userAgent, detail ?? null);
    },
  };
}
