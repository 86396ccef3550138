// Reads the app's audit log straight from its SQLite file, as an admin would.
import Database from 'better-sqlite3';
import type { TestApp } from './test-app.ts';

export interface AuditRow {
  event: string;
  user_id: number | null;
  ip: string | null;
  user_agent: string | null;
  detail: string | null;
}

export function auditRows(t: TestApp): AuditRow[] {
  const db = new Database(`${t.dir}/app.db`, { readonly: true });
  try {
    return db.prepare('SELECT event, user_id, ip, user_agent, detail FROM audit_log ORDER BY id').all() as AuditRow[];
  } finally {
    db.close();
  }
}

export async function auditCount(t: TestApp, event: string): Promise<number> {
  return auditRows(t).filter((row) => row.event === event).length;
}
