// Sessions survive a restart; admins seed accounts with a hash from `npm run hash-password`;
// a changed applied migration stops the start.
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { startVerifySimulator } from '../../src/verify-simulator/index.ts';
import { ALICE, SESSION_SECRET, createTestClient, seededDir, simulatorOptions, startTestApp, verifyEnv } from '../helpers/test-app.ts';
import { removeAfterTest } from '../helpers/temp-dir.ts';
import type { TestApp } from '../helpers/test-app.ts';

const open: TestApp[] = [];
afterEach(async () => {
  for (const t of open.splice(0)) await t.close();
});

describe('restart', () => {
  it('a signed-in session, and a pending one, survive a restart of the server', async () => {
    const sim = await startVerifySimulator(simulatorOptions());
    try {
      const dir = removeAfterTest(await seededDir());
      const first = await startTestApp({ api: 'legacy', sim, dir });
      const signedIn = first.client();
      await signedIn.signIn(sim);
      const pending = first.client();
      await pending.post('/login', { email: ALICE.email, password: ALICE.password });
      const code = sim.lastCode(ALICE.phone) as string;
      await first.close();

      const second = await startTestApp({ api: 'legacy', sim, dir });
      open.push(second);
      const home = await second.app.inject({ method: 'GET', url: '/', cookies: signedIn.jar.cookies });
      expect(home.statusCode).toBe(200);
      expect(home.body).toContain(ALICE.email);
      const codePage = await second.app.inject({ method: 'GET', url: '/login/code', cookies: pending.jar.cookies });
      expect(codePage.statusCode).toBe(200);
      const again = createTestClient(second.app);
      again.jar.copyFrom(pending.jar);
      await again.get('/login/code');
      expect((await again.post('/login/code', { code })).headers.location).toBe('/');
    } finally {
      await sim.close();
    }
  });
});

describe('seeding an account as the README says', () => {
  it('hash-password, a seed migration, npm run migrate, then that account signs in', async () => {
    const dir = removeAfterTest(mkdtempSync(join(tmpdir(), 'signin-seed-')));
    mkdirSync(join(dir, 'seeds'));
    const password = 'a long and memorable passphrase';
    // through npm, as the README tells admins (--silent keeps npm's banner off stdout)
    const hash = execFileSync('npm', ['run', '--silent', 'hash-password'], { input: `${password}\n` })
      .toString()
      .trim();
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    writeFileSync(
      join(dir, 'seeds', '0100_seed_carol.sql'),
      `INSERT INTO users (email, phone, password_hash) VALUES ('carol@example.com', '+447700900123', '${hash}');\n`,
    );
    const env = { ...process.env, DATABASE_URL: `sqlite:${join(dir, 'app.db')}`, MIGRATIONS_DIR: `migrations:${join(dir, 'seeds')}` };
    const migrate = spawnSync('npm', ['run', 'migrate'], { env });
    expect(migrate.status).toBe(0);
    expect(migrate.stdout.toString()).toContain('0100_seed_carol.sql');

    const t = await startTestApp({ api: 'v2', dir });
    open.push(t);
    const c = t.client();
    const login = await c.post('/login', { email: 'CAROL@example.com', password });
    expect(login.headers.location).toBe('/login/code');
    expect(t.sim.sent[0].to).toBe('447700900123');
    expect((await c.get('/login/code')).body).toContain('+44 •••• ••0123');
    expect((await c.post('/login/code', { code: t.sim.lastCode('+447700900123') as string })).statusCode).toBe(303);
    // A seeded password is temporary: she chooses her own before any page opens (past the one
    // showing of her first recovery codes, where the code step may send her first).
    expect((await c.get('/')).headers.location).toBe('/account/password');
    await c.get('/account/password');
    const change = await c.post('/account/password', { current_password: password, new_password: 'a passphrase of her own' });
    expect(change.headers.location).toBe('/');
    expect((await c.get('/')).body).toContain('carol@example.com');
  });

  it('a seed migration changed after it was applied stops the start, naming the file', async () => {
    const dir = removeAfterTest(await seededDir());
    const t = await startTestApp({ api: 'legacy', dir });
    await t.close();
    appendFileSync(join(dir, 'seeds', '0100_seed_alice.sql'), '-- edited\n');
    const env = {
      DATABASE_URL: `sqlite:${join(dir, 'app.db')}`,
      MIGRATIONS_DIR: `migrations:${join(dir, 'seeds')}`,
      SESSION_SECRET,
      ...verifyEnv('legacy', 'http://127.0.0.1:9'),
    };
    await expect(buildApp(loadConfig(env))).rejects.toThrow(/0100_seed_alice\.sql was changed after it was applied/);
  });
});
