// Audit events older than AUDIT_RETENTION_DAYS are deleted: once at start, then on an interval.
import type { Database } from '../db/connection.ts';

const DAY_MS = 86_400_000;
// Deleting in slices keeps each write lock short, so a first prune of a large, long-unpruned log
// does not stall sign-ins in another process for seconds.
const BATCH_SIZE = 5000;
// setInterval treats anything longer as 1 ms.
const MAX_INTERVAL_MS = 2 ** 31 - 1;

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

/**
 * Prunes now, then every `intervalMs` on a timer that does not keep the process alive. Stops by
 * itself once the database is closed. A failed prune goes to `onError` (default: stderr) and the
 * next one is tried as planned; a bad argument throws here, at start.
 */
export function startAuditPruning(
  db: Database,
  retentionDays: number,
  options: { intervalMs: number; onError?: (error: unknown) => void },
): { stop(): void } {
  assertRetentionDays(retentionDays);
  const { intervalMs, onError = reportToStderr } = options;
  if (!Number.isFinite(intervalMs) || intervalMs <= 0 || intervalMs > MAX_INTERVAL_MS) {
    throw new RangeError(`audit pruning interval must be between 1 and ${MAX_INTERVAL_MS} ms, got ${intervalMs}`);
  }

  let timer: NodeJS.Timeout | undefined;
  const stop = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
  };
  const pruneOnce = () => {
    if (!db.open) return stop();
    try {
      pruneAuditLog(db, retentionDays);
    } catch (error) {
      onError(error);
    }
  };

  pruneOnce();
  if (db.open) {
    timer = setInterval(pruneOnce, intervalMs);
    timer.unref();
  }
  return { stop };
}

function assertRetentionDays(retentionDays: number): void {
  // Zero or a typo must not empty the log.
  if (!Number.isFinite(retentionDays) || retentionDays <= 0) {
    throw new RangeError(`audit retention must be a positive number of days, got ${retentionDays}`);
  }
}

function reportToStderr(error: unknown): void {
  console.error(`audit log pruning failed: ${error instanceof Error ? error.message : String(error)}`);
}
