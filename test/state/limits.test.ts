// The named limits on a real SQLite file: all-or-none consumes, safe refunds, hashed keys.
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../../src/storage/sqlite/connection.ts';
import type { Database } from '../../src/storage/sqlite/connection.ts';
import { applyMigrations } from '../../src/storage/migrations.ts';
import { createSqliteLimits } from '../../src/storage/sqlite/limits.ts';
import { describeWait } from '../../src/state/limits.ts';
import { useTempDir } from '../helpers/temp-dir.ts';

const MIGRATIONS = path.resolve(import.meta.dirname, '../../migrations');

describe('limits on SQLite', () => {
  const tempDir = useTempDir();
  let db: Database;
  beforeEach(() => {
    db = openDatabase(path.join(tempDir(), 'app.db'));
    applyMigrations(db, [MIGRATIONS]);
  });
  afterEach(() => {
    vi.useRealTimers();
    db.close();
  });

  it('takes from every counter or from none: a refusal gives the others their point back', async () => {
    const limits = createSqliteLimits(db, { 'send-account-hour': { points: 5, seconds: 3600 }, 'send-phone-hour': { points: 1, seconds: 3600 } });
    expect((await limits.consume(['send-account-hour', 'a'], ['send-phone-hour', 'p'])).ok).toBe(true);
    const refused = await limits.consume(['send-account-hour', 'a'], ['send-phone-hour', 'p']);
    expect(refused).toMatchObject({ ok: false, limit: 'send-phone-hour', first: true });
    const again = await limits.consume(['send-account-hour', 'a']);
    expect(again).toMatchObject({ ok: true, remaining: { 'send-account-hour': 3 } }); // 2 taken, not 3
  });

  it('marks only the first refusal of a window as first', async () => {
    const limits = createSqliteLimits(db, { 'code-account': { points: 1, seconds: 60 } });
    await limits.consume(['code-account', '1']);
    const verdicts = await Promise.all([1, 2, 3].map(() => limits.consume(['code-account', '1'])));
    expect(verdicts.filter((v) => !v.ok && v.first)).toHaveLength(1);
  });

  it('a refund landing after its window ended gives nothing: the next window starts at zero, not below', async () => {
    const start = Date.now();
    vi.useFakeTimers({ toFake: ['Date'], now: start });
    const limits = createSqliteLimits(db, { 'code-account': { points: 2, seconds: 60 } });
    await limits.consume(['code-account', '1']);
    vi.setSystemTime(start + 60_500);
    await limits.refund(['code-account', '1']);
    const taken = [];
    for (let i = 0; i < 4; i++) taken.push((await limits.consume(['code-account', '1'])).ok);
    expect(taken).toEqual([true, true, false, false]);
  });

  it('stores keys hashed: no email, phone or address in the table', async () => {
    const limits = createSqliteLimits(db);
    await limits.consume(['password-account', 'alice@example.com'], ['send-phone-hour', '+15555550100']);
    const keys = db.prepare('SELECT key FROM rate_limits').pluck().all().join(' ');
    expect(keys).not.toMatch(/alice|5555550100/);
    expect(keys).toMatch(/^password-account:\S+ send-phone-hour:\S+$|^send-phone-hour:\S+ password-account:\S+$/);
  });

  it('two processes on one database file count together', async () => {
    const other = openDatabase(path.join(tempDir(), 'app.db'));
    try {
      const here = createSqliteLimits(db);
      const there = createSqliteLimits(other);
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? here : there).consume(['password-account-ip', 'k'])));
      expect(results.filter((r) => r.ok)).toHaveLength(5);
    } finally {
      other.close();
    }
  });

  it('peek reads what a counter spent and when it frees without taking a point; a window that ended reads as nothing; clear deletes', async () => {
    const start = Date.now();
    vi.useFakeTimers({ toFake: ['Date'], now: start });
    const limits = createSqliteLimits(db, { 'code-account': { points: 3, seconds: 60 } });
    await limits.consume(['code-account', '1']);
    await limits.consume(['code-account', '1']);
    vi.setSystemTime(start + 10_000);
    expect(await limits.peek(['code-account', '1'], ['code-account', '2'])).toEqual([{ consumed: 2, points: 3, freesInMs: 50_000 }, undefined]);
    expect(await limits.peek(['code-account', '1'])).toEqual([{ consumed: 2, points: 3, freesInMs: 50_000 }]); // took nothing
    vi.setSystemTime(start + 60_001);
    expect(await limits.peek(['code-account', '1'])).toEqual([undefined]);
    vi.setSystemTime(start);
    expect(await limits.clear(['code-account', '1'], ['code-account', '2'])).toBe(1);
    expect(await limits.peek(['code-account', '1'])).toEqual([undefined]);
    expect((await limits.consume(['code-account', '1'])).ok).toBe(true);
  });

  it('says how long to wait in words', () => {
    expect(describeWait(1)).toBe('1 second');
    expect(describeWait(30_000)).toBe('30 seconds');
    expect(describeWait(14 * 60_000 + 1)).toBe('15 minutes');
    expect(describeWait(23 * 3_600_000)).toBe('23 hours');
  });
});
