// Two real server processes sharing the backends (PostgreSQL, and Redis when the run names it),
// started at the same moment on a fresh database: a sign-in that moves between them, a logout on
// one that ends the session on both, and a budget spent on one that is spent on the other.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALICE, SESSION_SECRET, seededDir, simulatorOptions, verifyEnv } from '../../helpers/test-app.ts';
import { MIGRATIONS, SPAWNED_SERVER_TEST_MS, browser, freePort, startServer } from '../../helpers/server-process.ts';
import { backendEnv, sqlOn } from '../../helpers/test-backend.ts';
import { removeAfterTest } from '../../helpers/temp-dir.ts';
import { startVerifySimulator } from '../../../src/verify-simulator/index.ts';

describe('several instances on shared backends', { timeout: SPAWNED_SERVER_TEST_MS }, () => {
  it('share sign-ins, logouts and budgets, and start together on a fresh database', async () => {
    const dir = removeAfterTest(await seededDir());
    const sim = await startVerifySimulator(simulatorOptions());
    try {
      const env = {
        // an empty database: both instances migrate it at start
        ...(await backendEnv(dir, { migrated: false })),
        MIGRATIONS_DIR: `${MIGRATIONS}:${join(dir, 'seeds')}`,
        SESSION_SECRET,
        ...verifyEnv('v2', sim.url),
      };
      const [portA, portB] = [await freePort(), await freePort()];
      const a = startServer({ ...env, PORT: String(portA) });
      const b = startServer({ ...env, PORT: String(portB) });
      await Promise.all([a.waitFor(/Server listening/, 20_000), b.waitFor(/Server listening/, 20_000)]);
      const applied = await sqlOn(dir, 'SELECT name FROM schema_migrations ORDER BY name');
      expect(applied.map((row) => row.name)).toEqual(['0001_init.sql', '0002_hardening.sql', '0003_account_recovery.sql', '0004_remembered_browsers_epoch.sql', '0005_password_hash_shape.sql', '0006_passkeys.sql', '0100_seed_alice.sql']);

      const [A, B] = [`http://127.0.0.1:${portA}`, `http://127.0.0.1:${portB}`];
      const request = browser(A);
      await request('/login');
      expect((await request('/login', { email: ALICE.email, password: ALICE.password })).location).toBe('/login/code');
      await request(`${B}/login/code`);
      expect((await request(`${B}/login/code`, { code: sim.lastCode(ALICE.phone) as string })).location).toBe('/');
      expect((await request(`${A}/`)).status).toBe(200);
      expect((await request(`${B}/`)).status).toBe(200);
      expect((await request(`${A}/logout`, {})).location).toBe('/login');
      expect((await request(`${B}/`)).location).toBe('/login');

      // five wrong passwords on A spend this address's budget for Alice on B as well
      const other = browser(A);
      await other('/login');
      for (let i = 0; i < 5; i++) expect((await other('/login', { email: ALICE.email, password: `wrong ${i}` })).status).toBe(401);
      await other(`${B}/login`);
      expect((await other(`${B}/login`, { email: ALICE.email, password: ALICE.password })).status).toBe(429);
    } finally {
      await sim.close();
    }
  });
});
