// The deployment as the README and deploy/ describe it, run for real: two `node src/server.ts`
// instances in production on one fresh PostgreSQL database, behind Debian's nginx serving
// deploy/nginx-site.conf (TLS with a self-signed certificate), and Chromium signing in over https.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { TEST_HASH_COST } from '../cheap-password-hashing.ts';
import { ALICE, SESSION_SECRET, seededDir, simulatorOptions, verifyEnv } from '../helpers/test-app.ts';
import { MIGRATIONS, freePort, startServer } from '../helpers/server-process.ts';
import { asAdmin, urlOf } from '../storage/postgres/fresh-database.ts';
import { setPasswordHashCostForTests } from '../../src/accounts/passwords.ts';
import { startVerifySimulator } from '../../src/verify-simulator/index.ts';
import type { VerifySimulator } from '../../src/verify-simulator/index.ts';
import { mainText, openPage, submitCode, submitPassword } from './helpers.ts';
import { startNginx } from './nginx.ts';
import type { Nginx } from './nginx.ts';

const HOST = 'localhost';
const FORGED_ADDRESS = '203.0.113.9';

describe('behind nginx, as deployed', () => {
  let browser: Browser;
  let sim: VerifySimulator;
  let nginx: Nginx | undefined;
  let dir: string;
  let httpPort: number;
  const database = `t_nginx_${process.pid}`;

  beforeAll(async () => {
    // As deployed: Alice's seeded hash at the production cost too, not the suite's test cost.
    setPasswordHashCostForTests();
    [browser, sim, dir] = await Promise.all([
      chromium.launch({
        executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--host-resolver-rules=MAP ${HOST} 127.0.0.1`],
      }),
      startVerifySimulator(simulatorOptions()),
      seededDir(),
    ]);
    await asAdmin((c) => c.query(`CREATE DATABASE ${database}`));
  });
  afterAll(async () => {
    await nginx?.stop();
    await browser?.close();
    await sim?.close();
    await asAdmin(async (c) => {
      await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]);
      await c.query(`DROP DATABASE IF EXISTS ${database}`);
    });
    rmSync(dir, { recursive: true, force: true });
    setPasswordHashCostForTests(TEST_HASH_COST);
  });

  it('signs in end to end over https through two production instances: __Host- cookies, one HSTS header, the client address nginx saw, and a stopped instance is stepped around', async () => {
    const [port, portA, portB] = [await freePort(), await freePort(), await freePort()];
    httpPort = await freePort();
    const env = {
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      TRUST_PROXY: '127.0.0.1',
      PUBLIC_ORIGIN: `https://${HOST}:${port}`,
      DATABASE_URL: urlOf(database),
      MIGRATIONS_DIR: `${MIGRATIONS}:${join(dir, 'seeds')}`,
      SESSION_SECRET,
      LOG_LEVEL: 'debug',
      ...verifyEnv('v2', sim.url),
    };
    const a = startServer({ ...env, PORT: String(portA) });
    const b = startServer({ ...env, PORT: String(portB) });
    await Promise.all([a.waitFor(/Server listening/, 20_000), b.waitFor(/Server listening/, 20_000)]);
    nginx = await startNginx({ dir, host: HOST, port, httpPort, upstreams: [`127.0.0.1:${portA}`, `127.0.0.1:${portB}`] });

    // Plain http is sent to https.
    const plain = await fetch(`http://127.0.0.1:${httpPort}/login`, { redirect: 'manual', headers: { host: HOST } });
    expect(plain.status).toBe(301);
    expect(plain.headers.get('location')).toBe(`https://${HOST}/login`);

    // A client that writes its own X-Forwarded-For (nginx replaces it: the instances see nginx's view).
    const { context, page, problems } = await openPage(browser, { ignoreHTTPSErrors: true, extraHTTPHeaders: { 'x-forwarded-for': FORGED_ADDRESS } });
    try {
      const login = await page.goto(`${nginx.origin}/login`);
      expect(login?.status(), nginx.errors()).toBe(200);
      const hsts = (await login!.headersArray()).filter((h) => h.name.toLowerCase() === 'strict-transport-security');
      expect(hsts.map((h) => h.value)).toEqual(['max-age=63072000; includeSubDomains']);

      await submitPassword(page, ALICE.email, ALICE.password);
      await submitCode(page, sim.lastCode(ALICE.phone) as string);
      expect(page.url()).toBe(`${nginx.origin}/`);
      expect(await mainText(page)).toContain(ALICE.email);

      const cookies = await context.cookies();
      const sid = cookies.find((c) => c.name === '__Host-sid');
      expect(sid, JSON.stringify(cookies.map((c) => c.name))).toMatchObject({ secure: true, httpOnly: true, sameSite: 'Lax', path: '/' });
      expect(cookies.filter((c) => !c.name.startsWith('__Host-')).map((c) => c.name)).toEqual([]);

      // Both instances served this sign-in (nginx alternates), and neither believed the forged address.
      const logs = () => a.output().stdout + b.output().stdout;
      expect(a.output().stdout).toContain('"msg":"incoming request"');
      expect(b.output().stdout).toContain('"msg":"incoming request"');
      expect(logs()).toContain('"remoteAddress":"127.0.0.1"');
      expect(logs()).not.toContain(FORGED_ADDRESS);
      await page.goto(`${nginx.origin}/account/sessions`);
      expect(await mainText(page)).not.toContain(FORGED_ADDRESS);

      // A rolling restart: instance A stops on SIGTERM (exit 0) and the signed-in page is still there.
      a.child.kill('SIGTERM');
      expect(await a.exited).toBe(0);
      for (let i = 0; i < 3; i++) {
        const home = await page.goto(`${nginx.origin}/`);
        expect(home?.status()).toBe(200);
        expect(await mainText(page)).toContain(ALICE.email);
      }
      expect(logs()).not.toMatch(/"msg":"request failed"/);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
