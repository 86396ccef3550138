// The phone change (and the other actions that end the other sessions: a password change, "Sign
// out all other browsers") while Redis drops out mid request, on two instances sharing PostgreSQL
// and Redis: 503 at worst, never a 500, and never a half-done state: a change stored is audited and
// ends every other session (by the epoch stored with it, whatever Redis managed). PostgreSQL cut
// mid request is faults.test.ts's (tests that cut it at one chosen statement here landed on varying
// steps under load, and were removed).
import type { LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { ACCOUNT_CACHE_MS } from '../../../src/accounts/account-cache.ts';
import { ALICE, useTestApps } from '../../helpers/test-app.ts';
import type { TestApp, TestClient } from '../../helpers/test-app.ts';
import { auditRows } from '../../helpers/audit.ts';
import { TEST_REDIS, backendEnv } from '../../helpers/test-backend.ts';
import { startOutageProxy } from '../postgres/fresh-database.ts';
import { eventually } from '../redis/own-redis-server.ts';

/** A mobile in libphonenumber-js's metadata (as account-phone.test.ts uses). */
const NEW_PHONE = '+353851234567';
const REDIS = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const isHome = (res: LightMyRequestResponse) => res.statusCode === 303 && res.headers.location === '/';

function expectUnavailable(res: LightMyRequestResponse, what: string) {
  expect(res.statusCode, `${what}: ${res.body.slice(0, 300)}`).toBe(503);
  expect(res.body, what).toContain('Temporarily unavailable');
}

/**
 * Sends `send` while an admin holds an exclusive lock on `table` (or only the account's row); once `ready` holds and the app's
 * query waits on that lock, runs `meanwhile` (an outage), then lets the lock go. Returns the answer.
 */
async function behindTableLock(
  t: TestApp,
  table: 'users' | 'audit_log' | 'the account row',
  send: () => Promise<LightMyRequestResponse>,
  /** The request got far enough (another statement, such as a prune the app runs by itself, may wait on the lock too). */
  ready: () => boolean | Promise<boolean>,
  meanwhile: (database: string) => Promise<unknown>,
): Promise<LightMyRequestResponse> {
  const url = (await backendEnv(t.dir)).DATABASE_URL;
  const database = new URL(url).pathname.slice(1);
  const locker = new pg.Client({ connectionString: url });
  locker.on('error', () => {});
  await locker.connect();
  try {
    await locker.query('BEGIN');
    // the row: reads go on, its UPDATE waits
    await locker.query(table === 'the account row' ? 'SELECT id FROM users FOR UPDATE' : `LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
    const answer = send();
    await eventually(async () => {
      expect(await ready()).toBe(true);
      const stuck = await locker.query("SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'", [database]);
      expect(stuck.rowCount).toBeGreaterThan(0);
    }, 5000);
    await meanwhile(database);
    await locker.query('ROLLBACK').catch(() => {});
    return await answer;
  } finally {
    await locker.end().catch(() => {});
  }
}

describe('passkeys and the phone change while a backend drops out', () => {
  const startApp = useTestApps();

  it.runIf(TEST_REDIS)('Redis lost on one instance just after a phone change is stored: 503, the change audited, and the other instance’s sessions end', async () => {
    const proxy = await startOutageProxy(new URL(REDIS));
    try {
      const direct = await startApp({ api: 'v2' });
      const viaProxy = await startApp({ api: 'v2', dir: direct.dir, sim: direct.sim, env: { REDIS_URL: `redis://127.0.0.1:${proxy.port}` } });
      const elsewhere = direct.client();
      expect(isHome(await elsewhere.signIn(direct.sim))).toBe(true);
      const c: TestClient = viaProxy.client();
      expect(isHome(await c.signIn(direct.sim))).toBe(true);
      await c.get('/account/phone');
      expect((await c.post('/account/phone', { phone: NEW_PHONE })).headers.location).toBe('/account/phone');
      const code = direct.sim.lastCode(NEW_PHONE) as string;
      await c.get('/account/phone'); // the gate's account read is fresh: the POST reads users only after its code check
      const checks = direct.sim.requests.length;

      const answer = await behindTableLock(
        viaProxy,
        'users',
        () => c.post('/account/phone', { code }),
        () => direct.sim.requests.length > checks,
        () => proxy.stop(),
      );
      // ending the other sessions met the lost Redis: a 503, but the phone and its new epoch are stored
      expectUnavailable(answer, 'POST /account/phone');
      expect(await direct.sql('SELECT phone FROM users')).toEqual([{ phone: NEW_PHONE }]);
      const changed = (await auditRows(direct)).filter((row) => row.event === 'phone-changed');
      expect(changed.map((row) => row.detail)).toEqual(['+353 other-sessions-ended by-epoch']);
      // Past every instance's account cache: that epoch ends the session on the other instance.
      await direct.moveClock(Date.now() + ACCOUNT_CACHE_MS);
      expect((await elsewhere.get('/')).headers.location).toBe('/login');
      expect(direct.logs.join('') + viaProxy.logs.join('')).not.toMatch(/"msg":"request failed"/);
    } finally {
      await proxy.stop();
    }
  });

  for (const action of ['a password change', '“Sign out all other browsers”'] as const) {
    it.runIf(TEST_REDIS)(`Redis lost on one instance just after ${action} is stored: 503, the action audited, and the other instance’s sessions end`, async () => {
      const proxy = await startOutageProxy(new URL(REDIS));
      try {
        const direct = await startApp({ api: 'v2' });
        const viaProxy = await startApp({ api: 'v2', dir: direct.dir, sim: direct.sim, env: { REDIS_URL: `redis://127.0.0.1:${proxy.port}` } });
        const elsewhere = direct.client();
        expect(isHome(await elsewhere.signIn(direct.sim))).toBe(true);
        const c = viaProxy.client();
        expect(isHome(await c.signIn(direct.sim))).toBe(true);
        const [page, url, fields, event] =
          action === 'a password change'
            ? (['/account/password', '/account/password', { current_password: ALICE.password, new_password: 'a brand new passphrase 42' }, 'password-changed'] as const)
            : (['/account/sessions', '/account/sessions/end-others', {}, 'sessions-revoked-others'] as const);
        await c.get(page);
        const answer = await behindTableLock(viaProxy, 'the account row', () => c.post(url, fields), () => true, () => proxy.stop());
        expectUnavailable(answer, `POST ${url}`);
        const audited = (await auditRows(direct)).filter((row) => row.event === event);
        expect(audited.map((row) => row.detail)).toEqual([action === 'a password change' ? 'other-sessions-ended by-epoch' : 'sessions=by-epoch remembered=by-epoch']);
        await direct.moveClock(Date.now() + ACCOUNT_CACHE_MS);
        expect((await elsewhere.get('/')).headers.location).toBe('/login');
        expect(direct.logs.join('') + viaProxy.logs.join('')).not.toMatch(/"msg":"request failed"/);
      } finally {
        await proxy.stop();
      }
    });
  }

  it.runIf(TEST_REDIS)('Redis lost while a phone change’s code goes out: 503, and once Redis is back the change can start again', async () => {
    const proxy = await startOutageProxy(new URL(REDIS));
    try {
      const a = await startApp({ api: 'v2', simulator: { slowMs: 700 }, env: { VERIFY_TIMEOUT_MS: '5000', REDIS_URL: `redis://127.0.0.1:${proxy.port}` } });
      const c = a.client();
      expect(isHome(await c.signIn(a.sim))).toBe(true);
      await c.get('/account/phone');
      const starts = a.sim.requests.length;
      a.sim.setFailureMode('slow');
      const answer = c.post('/account/phone', { phone: NEW_PHONE });
      await eventually(async () => expect(a.sim.requests.length).toBeGreaterThan(starts), 5000);
      await proxy.stop(); // the code is on its way; the session that would keep its request is not
      expectUnavailable(await answer, 'POST /account/phone');
      a.sim.setFailureMode('normal');
      await proxy.start();
      await eventually(async () => expect((await a.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200), 5000);

      await a.moveClock(Date.now() + 31_000); // past the account's send cooldown
      await c.get('/account/phone');
      // that code's Verify request was cancelled: the number is not busy ("concurrent") with it
      const again = await c.post('/account/phone', { phone: NEW_PHONE });
      expect(again.statusCode, again.body.slice(0, 400)).toBe(303);
      await c.get('/account/phone');
      expect(isHome(await c.post('/account/phone', { code: a.sim.lastCode(NEW_PHONE) as string }))).toBe(true);
      expect(await a.sql('SELECT phone FROM users')).toEqual([{ phone: NEW_PHONE }]);
      expect(a.logs.join('')).not.toMatch(/"msg":"request failed"/);
    } finally {
      await proxy.stop();
    }
  });
});
