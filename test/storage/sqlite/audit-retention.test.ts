import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { pruneAuditLog } from '../../../src/storage/sqlite/audit-retention.ts';
import { openDatabase } from '../../../src/storage/sqlite/connection.ts';
import type { Database } from '../../../src/storage/sqlite/connection.ts';
import { applyMigrations } from '../../../src/storage/migrations.ts';
import { useTempDir } from '../../helpers/temp-dir.ts';

const MIGRATIONS = path.resolve(import.meta.dirname, '../../../migrations');
const DAY = 86_400_000;
const NOW = Date.parse('2026-11-27T12:00:00.000Z');

describe('audit log retention', () => {
  const tempDir = useTempDir();
  let db: Database | undefined;

  const openMigrated = () => {
    db = openDatabase(path.join(tempDir(), 'app.db'));
    applyMigrations(db, [MIGRATIONS]);
    return db;
  };
  const insertAt = (database: Database, ...times: number[]) => {
    const insert = database.prepare("INSERT INTO audit_log (at, event, ip) VALUES (?, 'password-failed', '192.0.2.1')");
    database.transaction(() => times.forEach((time) => insert.run(new Date(time).toISOString())))();
  };
  const remaining = (database: Database) =>
    database.prepare<[], string>('SELECT at FROM audit_log ORDER BY at').pluck().all();

  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
    if (db?.open) db.close();
    db = undefined;
  });

  describe('pruneAuditLog', () => {
    it('deletes the events older than the retention, keeps the rest, and says how many it deleted', () => {
      const database = openMigrated();
      const cutoff = NOW - 90 * DAY;
      insertAt(database, NOW - 400 * DAY, NOW - 91 * DAY, cutoff - 1, cutoff, cutoff + 1, NOW - DAY, NOW);
      expect(pruneAuditLog(database, 90, NOW)).toBe(3);
      expect(remaining(database)).toEqual([cutoff, cutoff + 1, NOW - DAY, NOW].map((t) => new Date(t).toISOString()));
      expect(pruneAuditLog(database, 90, NOW)).toBe(0);
    });

    it('measures from the current time by default', () => {
      const database = openMigrated();
      insertAt(database, Date.now() - 31 * DAY, Date.now() - 29 * DAY);
      expect(pruneAuditLog(database, 30)).toBe(1);
      expect(remaining(database)).toHaveLength(1);
    });

    it('deletes more events than one batch holds', () => {
      const database = openMigrated();
      insertAt(database, ...Array.from({ length: 12_345 }, (_, i) => NOW - 100 * DAY - i * 1000), NOW);
      expect(pruneAuditLog(database, 90, NOW)).toBe(12_345);
      expect(remaining(database)).toEqual([new Date(NOW).toISOString()]);
    });

    it('refuses a retention that is not a positive number of days, deleting nothing', () => {
      const database = openMigrated();
      insertAt(database, NOW - DAY, NOW);
      for (const days of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(() => pruneAuditLog(database, days, NOW)).toThrow(RangeError);
      }
      expect(remaining(database)).toHaveLength(2);
    });

    it('keeps everything when the retention reaches back before 1970', () => {
      const database = openMigrated();
      insertAt(database, 0, NOW);
      expect(pruneAuditLog(database, 1e12, NOW)).toBe(0);
      expect(remaining(database)).toHaveLength(2);
    });
  });
});
