// The periodic clean-up (src/storage/maintenance.ts) on a real SQLite backend: old audit events go
// at start, expired sessions and counters every ten minutes, and nothing runs after stop().
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openBackends } from '../../src/storage/backends.ts';
import type { Backends } from '../../src/storage/backends.ts';
import { startMaintenance } from '../../src/storage/maintenance.ts';
import { sessionRules } from '../../src/signin/state.ts';
import { useTempDir } from '../helpers/temp-dir.ts';
import { HOUR, sessionExpiringAt, setSession } from '../helpers/session-calls.ts';

const MIGRATIONS = path.resolve(import.meta.dirname, '../../migrations');
const DAY = 24 * HOUR;

describe('maintenance', () => {
  const tempDir = useTempDir();
  let backends: Backends | undefined;
  afterEach(async () => {
    vi.useRealTimers();
    await backends?.close();
  });

  async function open(): Promise<Backends> {
    backends = await openBackends(
      { database: { kind: 'sqlite', path: path.join(tempDir(), 'app.db') }, migrationsDirs: [MIGRATIONS], redisKeyPrefix: '' },
      { rules: sessionRules({ idleMs: 30 * 60_000, maxMs: 12 * HOUR }, HOUR), limitOverrides: {} },
    );
    return backends;
  }
  const count = (b: Backends, table: string) =>
    ((b.database as unknown as { db: { prepare(sql: string): { get(): { n: number } } } }).db.prepare(`SELECT count(*) AS n FROM ${table}`).get()).n;

  it('prunes old audit events at start, expired sessions every ten minutes, and stops when told', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const b = await open();
    const db = (b.database as unknown as { db: { prepare(sql: string): { run(...args: unknown[]): unknown } } }).db;
    db.prepare("INSERT INTO audit_log (at, event) VALUES (?, 'signed-out'), (?, 'signed-out')").run(
      new Date(Date.now() - 100 * DAY).toISOString(),
      new Date().toISOString(),
    );
    await setSession(b.state.sessions, 'stale', sessionExpiringAt(new Date(Date.now() - 1)));
    const errors: unknown[] = [];
    const maintenance = startMaintenance(b, 90, (error) => errors.push(error));
    await vi.waitFor(() => expect(count(b, 'audit_log')).toBe(1));
    expect(count(b, 'sessions')).toBe(1);

    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(count(b, 'sessions')).toBe(0);

    maintenance.stop();
    await setSession(b.state.sessions, 'stale-2', sessionExpiringAt(new Date(Date.now() - 1)));
    await vi.advanceTimersByTimeAsync(60 * 60_000);
    expect(count(b, 'sessions')).toBe(1);
    expect(errors).toEqual([]);
  });

  it('prunes expired remembered browsers every ten minutes, and keeps live ones', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const b = await open();
    const db = (b.database as unknown as { db: { prepare(sql: string): { run(...args: unknown[]): unknown } } }).db;
    db.prepare("INSERT INTO users (id, email, phone, password_hash) VALUES (1, 'a@example.com', '+15555550100', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA')").run();
    const { sessionEpoch } = (await b.database.accounts.findById(1))!;
    await b.database.rememberedBrowsers.add(1, 'expired', { createdAt: Date.now() - DAY, expiresAt: Date.now() - 1 }, { sessionEpoch, browserId: 'one' });
    await b.database.rememberedBrowsers.add(1, 'live', { createdAt: Date.now(), expiresAt: Date.now() + DAY }, { sessionEpoch, browserId: 'two' });
    const maintenance = startMaintenance(b, 90, () => {});
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(count(b, 'remembered_browsers')).toBe(1);
    maintenance.stop();
  });

  it('reports a failed run instead of throwing, and tries again next time', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const b = await open();
    await b.database.close();
    const errors: Array<[unknown, string]> = [];
    const maintenance = startMaintenance(b, 90, (error, what) => errors.push([error, what]));
    await vi.waitFor(() => expect(errors.map(([, what]) => what)).toContain('audit log'));
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(errors.map(([, what]) => what)).toContain('state');
    maintenance.stop();
  });
});
