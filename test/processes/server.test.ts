// The real server process: demo mode from nothing, a config error's exit, graceful shutdown.
// What happens inside the start (each config error, a failed start) is tested in-process in server-start.test.ts.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALICE, SESSION_SECRET, seededDir, simulatorOptions, startTestApp, verifyEnv } from '../helpers/test-app.ts';
import { MIGRATIONS, SPAWNED_SERVER_TEST_MS, browser, folders, freePort, startServer } from '../helpers/server-process.ts';
import { startVerifySimulator } from '../../src/verify-simulator/index.ts';

describe('npm start with no configuration (demo mode)', { timeout: SPAWNED_SERVER_TEST_MS }, () => {
  it('runs on SQLite with the simulator, says so loudly, prints each code, and the demo account signs in', async () => {
    const port = await freePort();
    const server = startServer({ PORT: String(port) });
    await server.waitFor(/Server listening/);
    const { stdout } = server.output();
    expect(stdout).toMatch(/DEMO MODE/);
    expect(stdout).toContain('demo@example.com');
    expect(stdout).toContain('demo-password');

    const request = browser(`http://127.0.0.1:${port}`);
    const loginPage = await request('/login');
    expect(loginPage.body).toContain('demo@example.com');
    const login = await request('/login', { email: 'demo@example.com', password: 'demo-password' });
    expect(login.status).toBe(303);
    const [, code] = await server.waitFor(/"msg":"[^"]*\bcode (\d{4,10})\b[^"]*"/);
    await request('/login/code');
    const done = await request('/login/code', { code });
    expect(done.status).toBe(303);
    expect((await request('/')).body).toContain('demo@example.com');
    expect((await request('/healthz')).body).toBe('{"status":"ok","database":"ok"}');

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });
});

describe('a configuration error', { timeout: SPAWNED_SERVER_TEST_MS }, () => {
  // Each wrong setting is tested in-process (test/server-start.test.ts); this is the process around it.
  it('stops the real process with exit code 1 and one line on stderr', async () => {
    const server = startServer({ LOG_LEVEL: 'loud' });
    expect(await server.exited).toBe(1);
    const { stderr } = server.output();
    expect(stderr.trim()).toMatch(/^Configuration error: LOG_LEVEL must be one of/);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('production', { timeout: SPAWNED_SERVER_TEST_MS }, () => {
  it('sets Secure cookies behind a TLS-terminating proxy', async () => {
    const t = await startTestApp({ api: 'v2', env: { NODE_ENV: 'production', TRUST_PROXY: '127.0.0.1', PUBLIC_ORIGIN: 'https://app.example.com' } });
    try {
      const c = t.client();
      const https = { 'x-forwarded-proto': 'https' };
      const login = await c.post('/login', { email: ALICE.email, password: ALICE.password }, https);
      expect(login.statusCode).toBe(303);
      const cookies = ([] as string[]).concat(login.headers['set-cookie'] ?? []);
      expect(cookies.find((h) => h.startsWith('__Host-sid='))).toMatch(/; Secure/);
      expect(cookies.filter((h) => !/^__Host-[^=]+=[^;]*;.*; Secure/.test(h))).toEqual([]);
    } finally {
      await t.close();
    }
  });
});

describe('graceful shutdown', { timeout: SPAWNED_SERVER_TEST_MS }, () => {
  /** The real server on Alice's seeded database, its Verify calls going to a simulator that answers after `slowMs`. */
  async function serverWithSlowVerify(slowMs: number) {
    const dir = await seededDir();
    folders.push(dir);
    const sim = await startVerifySimulator(simulatorOptions({ slowMs }));
    sim.setFailureMode('slow');
    const port = await freePort();
    const server = startServer({
      ...verifyEnv('legacy', sim.url),
      VERIFY_TIMEOUT_MS: '10000',
      PORT: String(port),
      DATABASE_URL: `sqlite:${join(dir, 'app.db')}`,
      MIGRATIONS_DIR: `${MIGRATIONS}:${join(dir, 'seeds')}`,
      SESSION_SECRET,
    });
    await server.waitFor(/Server listening/);
    const request = browser(`http://127.0.0.1:${port}`);
    await request('/login');
    const signIn = request('/login', { email: ALICE.email, password: ALICE.password });
    signIn.catch(() => {}); // awaited by the test; a cut connection is expected in one of them
    // The password is checked and the Verify call is in flight (the simulator is holding it).
    for (const start = Date.now(); sim.requests.length === 0; await new Promise((r) => setTimeout(r, 20))) {
      if (Date.now() - start > 5000) throw new Error('the Verify call never arrived');
    }
    return { server, sim, port, signIn };
  }

  it('on SIGTERM lets the request in flight finish, refuses new connections, and exits 0', async () => {
    const { server, sim, port, signIn } = await serverWithSlowVerify(1500);
    try {
      const start = Date.now();
      server.child.kill('SIGTERM');
      await server.waitFor(/SIGTERM received, closing/);
      await expect(fetch(`http://127.0.0.1:${port}/login`)).rejects.toThrow();
      const done = await signIn;
      expect(done.status).toBe(303);
      expect(done.location).toBe('/login/code');
      expect(await server.exited).toBe(0);
      expect(Date.now() - start).toBeLessThan(10_000);
    } finally {
      await sim.close();
    }
  });

  it('a second signal while closing exits 1 at once', async () => {
    const { server, sim, signIn } = await serverWithSlowVerify(5000);
    try {
      const start = Date.now();
      server.child.kill('SIGTERM');
      await server.waitFor(/SIGTERM received, closing/);
      server.child.kill('SIGINT');
      expect(await server.exited).toBe(1);
      expect(Date.now() - start).toBeLessThan(3000);
      await expect(signIn).rejects.toThrow(); // its connection was cut
    } finally {
      await sim.close();
    }
  });
});
