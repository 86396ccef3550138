// Demo mode on a several-instance backend: two `node src/server.ts` with nothing but a fresh
// PostgreSQL database (and Redis when the run names it), started at the same moment. Both make
// sure the demo account exists; the database's unique index decides which one creates it, and
// the other starts as well instead of dying on a duplicate key.
import { describe, expect, it } from 'vitest';
import { SPAWNED_SERVER_TEST_MS, freePort, startServer } from '../../helpers/server-process.ts';
import { backendEnv, sqlOn } from '../../helpers/test-backend.ts';
import { seededDir } from '../../helpers/test-app.ts';
import { removeAfterTest } from '../../helpers/temp-dir.ts';

describe('demo mode, two instances started together on a fresh database', { timeout: SPAWNED_SERVER_TEST_MS }, () => {
  it('both start, and there is one demo account', async () => {
    const dir = removeAfterTest(await seededDir());
    // an empty database (not the run's migrated template): both instances migrate it at start
    const env = await backendEnv(dir, { migrated: false });
    const [portA, portB] = [await freePort(), await freePort()];
    const a = startServer({ ...env, PORT: String(portA) });
    const b = startServer({ ...env, PORT: String(portB) });
    await Promise.all([a.waitFor(/Server listening/, 20_000), b.waitFor(/Server listening/, 20_000)]);
    for (const server of [a, b]) expect(server.output().stdout).toContain('DEMO MODE');
    const accounts = await sqlOn(dir, "SELECT count(*) AS n FROM users WHERE email = 'demo@example.com'");
    expect(Number(accounts[0].n)).toBe(1);
    for (const port of [portA, portB]) expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  });
});
