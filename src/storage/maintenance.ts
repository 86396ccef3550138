// Periodic clean-up on unref'd timers: expired sessions, tombstones, counters and remembered
// browsers every ten minutes, audit events past AUDIT_RETENTION_DAYS every hour (and once at
// start). A failed run is reported and simply tried again next time (a backend may be down).
import type { Backends } from './backends.ts';

const STATE_INTERVAL_MS = 10 * 60 * 1000;
const AUDIT_INTERVAL_MS = 60 * 60 * 1000;

export function startMaintenance(
  backends: Backends,
  auditRetentionDays: number,
  onError: (error: unknown, what: 'state' | 'audit log') => void,
): { stop(): void } {
  const { database, state } = backends;
  const pruneState = () => {
    const runs: Array<Promise<unknown>> = state === database ? [database.prune()] : [state.prune(), database.prune()];
    runs.push(database.rememberedBrowsers.pruneExpired());
    Promise.all(runs).catch((error) => onError(error, 'state'));
  };
  const pruneAudit = () => {
    database.pruneAudit(auditRetentionDays).catch((error) => onError(error, 'audit log'));
  };
  pruneAudit();
  const timers = [setInterval(pruneState, STATE_INTERVAL_MS).unref(), setInterval(pruneAudit, AUDIT_INTERVAL_MS).unref()];
  return {
    stop() {
      for (const timer of timers) clearInterval(timer);
    },
  };
}
