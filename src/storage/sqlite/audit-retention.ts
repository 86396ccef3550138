// Audit events older than AUDIT_RETENTION_DAYS are deleted (src/storage/maintenance.ts runs this
// at start and hourly).
import type { Database } from './connection.ts';

const DAY_MS = 86_400_000;
// Deleting in slices keeps each write lock short, so a first prune of a large, long-unpruned log
// does not stall sign-ins in another process for seconds.
const BATCH_SIZE = 5000;

/** Deletes audit events older than `retentionDays` before `now`; returns how many. */
export function pruneAuditLog(db: Database, retentionDays: number, now = Date.now()): number {
  assertRetentionDays(retentionDays);
  // `at` is an ISO-8601 UTC string with milliseconds, so text order is time order. A retention
  // reaching before 1970 keeps everything (and a Date that far back would be invalid).
  const cutoff = new Date(Math.max(now - retentionDays * DAY_MS, 0)).toISOString();
  const deleteBatch = db.prepare(
    'DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < ? ORDER BY at LIMIT ?)',
  );
  let deleted = 0;
  for (;;) {
    const { changes } = deleteBatch.run(cutoff, BATCH_SIZE);
    deleted += changes;
    if (changes < BATCH_SIZE) return deleted;
  }
}

function assertRetentionDays(retentionDays: number): void {
  // Zero or a typo must not empty the log.
  if (!Number.isFinite(retentionDays) || retentionDays <= 0) {
    throw new RangeError(`audit retention must be a positive number of days, got ${retentionDays}`);
  }
}
