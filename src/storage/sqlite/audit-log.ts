// The audit log on SQLite (table audit_log): recording, and the admin's read.
import type { AuditEntry, AuditLog, AuditReader } from '../../accounts/audit-log.ts';
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

export function createSqliteAuditTrail(db: Database): AuditReader {
  const select = `SELECT a.id, a.at, a.event, a.user_id, u.email AS account, a.ip, a.user_agent, a.detail
    FROM audit_log a LEFT JOIN users u ON u.id = a.user_id`;
  return {
    async eventsSince(since, account) {
      if (account === undefined) return db.prepare<[string], AuditEntry>(`${select} WHERE a.at >= ? ORDER BY a.at, a.id`).all(since);
      const user = db.prepare<[string], { id: number }>('SELECT id FROM users WHERE email = ? COLLATE NOCASE').get(account);
      if (!user) return undefined;
      return db.prepare<[number, string], AuditEntry>(`${select} WHERE a.user_id = ? AND a.at >= ? ORDER BY a.at, a.id`).all(user.id, since);
    },
  };
}
