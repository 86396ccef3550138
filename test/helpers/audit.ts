// Reads the app's audit log from its database, as an admin would.
import type { TestApp } from './test-app.ts';

export interface AuditRow {
  event: string;
  user_id: number | null;
  ip: string | null;
  user_agent: string | null;
  detail: string | null;
}

export async function auditRows(t: TestApp): Promise<AuditRow[]> {
  return (await t.sql('SELECT event, user_id, ip, user_agent, detail FROM audit_log ORDER BY id')) as unknown as AuditRow[];
}

export async function auditCount(t: TestApp, event: string): Promise<number> {
  return (await auditRows(t)).filter((row) => row.event === event).length;
}
