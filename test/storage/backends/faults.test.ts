// The app as a whole while its backends fail (issue 7, "Running several"): a Redis of the test's
// own stopped and started again mid sign-in, PostgreSQL's connections terminated, PostgreSQL
// unreachable behind a proxy, and SIGTERM while a code check is in flight. Pages that need a
// missing backend answer 503 with a page and Retry-After (never 500), nobody gets in while it is
// down, and everything works again when it returns, without a restart. An unhandled 'error' from
// a pool or a client would crash this worker and fail the run: the process staying up is checked
// by every test here.
import { ACCOUNT_CACHE_MS } from '../../../src/accounts/account-cache.ts';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { ALICE, SESSION_SECRET, seededDir, simulatorOptions, useTestApps, verifyEnv } from '../../helpers/test-app.ts';
import type { TestApp, TestClient } from '../../helpers/test-app.ts';
import { MIGRATIONS, SPAWNED_SERVER_TEST_MS, browser, freePort, startServer } from '../../helpers/server-process.ts';
import { TEST_REDIS, backendEnv } from '../../helpers/test-backend.ts';
import { removeAfterTest } from '../../helpers/temp-dir.ts';
import { startOutageProxy, terminateConnections } from '../postgres/fresh-database.ts';
import { eventually, startRedis, stopRedis } from '../redis/own-redis-server.ts';
import { startVerifySimulator } from '../../../src/verify-simulator/index.ts';

const REDIS_PASSWORD = 'faults-test-secret-2718';

/** A 503 as the error pages make it: an HTML page saying so, and Retry-After. */
function expectUnavailablePage(res: LightMyRequestResponse, what: string) {
  expect(res.statusCode, `${what}: ${res.statusCode} ${res.body.slice(0, 200)}`).toBe(503);
  expect(res.headers['content-type'], what).toMatch(/^text\/html/);
  expect(res.body, what).toContain('Temporarily unavailable');
  expect(Number(res.headers['retry-after']), what).toBeGreaterThan(0);
}

/**
 * A protected page refused: 503, or a redirect to a sign-in step (by default /login); never the
 * page itself.
 */
function expectKeptOut(res: LightMyRequestResponse, what: string, steps = ['/login']) {
  if (res.statusCode === 503) return expectUnavailablePage(res, what);
  expect(res.statusCode, `${what}: ${res.statusCode}`).toBe(303);
  expect(steps, what).toContain(res.headers.location);
}

async function health(t: TestApp): Promise<{ status: number; body: Record<string, string> }> {
  const res = await t.app.inject({ method: 'GET', url: '/healthz' });
  return { status: res.statusCode, body: res.json() };
}

/** The backends /healthz names when all answer, for this run. */
const ALL_OK = TEST_REDIS ? { status: 'ok', database: 'ok', redis: 'ok' } : { status: 'ok', database: 'ok' };

/** The password step, then the code page: a sign-in waiting for its code. */
async function pendingSignIn(c: TestClient): Promise<void> {
  const login = await c.post('/login', { email: ALICE.email, password: ALICE.password });
  expect(login.statusCode).toBe(303);
  expect(login.headers.location).toBe('/login/code');
  expect((await c.get('/login/code')).statusCode).toBe(200);
}

/** A complete sign-in on a fresh client, and the protected page it opens. */
async function signsInEndToEnd(t: TestApp): Promise<TestClient> {
  const c = t.client();
  await pendingSignIn(c);
  const done = await c.post('/login/code', { code: t.sim.lastCode(ALICE.phone) as string });
  expect(done.statusCode, done.body.slice(0, 200)).toBe(303);
  expect(done.headers.location).toBe('/');
  const home = await c.get('/');
  expect(home.statusCode).toBe(200);
  expect(home.body).toContain(ALICE.email);
  return c;
}

/**
 * Sends `send` until it answers something other than 503, at most `tries` times; every answer must
 * be that or a 503 page (never a 500). Returns the first answer that is not a 503.
 */
async function retryThrough503(send: () => Promise<LightMyRequestResponse>, what: string, tries = 10): Promise<LightMyRequestResponse> {
  for (let attempt = 1; ; attempt++) {
    const res = await send();
    if (res.statusCode !== 503) return res;
    expectUnavailablePage(res, `${what} (try ${attempt})`);
    if (attempt >= tries) throw new Error(`${what}: still 503 after ${tries} tries`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Sends `send` while an admin holds an exclusive lock on `users`, waits until the app's query is
 * stuck behind it, terminates every connection to the database, and returns the answer.
 */
async function whileAccountsLocked(url: string, database: string, send: () => Promise<LightMyRequestResponse>): Promise<LightMyRequestResponse> {
  const locker = new pg.Client({ connectionString: url });
  locker.on('error', () => {}); // it is terminated with the others
  await locker.connect();
  try {
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE users IN ACCESS EXCLUSIVE MODE');
    const answer = send();
    await eventually(async () => {
      const waiting = await locker.query("SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'", [database]);
      expect(waiting.rowCount).toBeGreaterThan(0);
    }, 5000);
    expect(await terminateConnections(database)).toBeGreaterThanOrEqual(2);
    return await answer;
  } finally {
    await locker.end().catch(() => {});
  }
}

describe('backend faults, app-level', () => {
  const startApp = useTestApps();

  describe('a Redis of our own stopped mid sign-in, then started again on the same port', () => {
    let redis: ChildProcess | undefined;
    afterEach(async () => {
      if (redis) await stopRedis(redis);
      redis = undefined;
    });

    it('answers 503 (never 500), keeps everyone out, reports it on /healthz, and recovers without a restart', async () => {
      const port = await freePort();
      redis = await startRedis(port, REDIS_PASSWORD);
      const t = await startApp({ api: 'v2', env: { REDIS_URL: `redis://:${REDIS_PASSWORD}@127.0.0.1:${port}`, REDIS_KEY_PREFIX: 'x:' } });
      expect(await health(t)).toEqual({ status: 200, body: { status: 'ok', database: 'ok', redis: 'ok' } });

      const signedIn = await signsInEndToEnd(t); // signed in before the outage
      const c = t.client();
      await pendingSignIn(c); // password step done, code not yet entered
      const code = t.sim.lastCode(ALICE.phone) as string;

      await stopRedis(redis);
      redis = undefined;

      expectUnavailablePage(await c.get('/login/code'), 'GET /login/code');
      expectUnavailablePage(await c.post('/login/code', { code }), 'POST /login/code with the right code');
      expect(await health(t)).toEqual({ status: 503, body: { status: 'unavailable', database: 'ok', redis: 'unavailable' } });
      // fail closed: neither the pending sign-in nor a session from before the outage opens a protected page
      expectKeptOut(await c.get('/'), 'GET / for the pending sign-in');
      expectKeptOut(await signedIn.get('/'), 'GET / for the session from before the outage');
      expect(t.logs.join('')).not.toMatch(/"msg":"request failed"/); // no 500 was logged along the way
      expect(t.logs.join('')).not.toContain(REDIS_PASSWORD);

      // Some reconnect attempts later it is still a 503, answered at once, and the app still answers.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const started = Date.now();
      expectUnavailablePage(await c.post('/login/code', { code }), 'POST /login/code after reconnect attempts');
      expect(Date.now() - started).toBeLessThan(1000);

      redis = await startRedis(port, REDIS_PASSWORD); // nothing persisted: every session is gone
      await eventually(async () => expect(await health(t)).toEqual({ status: 200, body: { status: 'ok', database: 'ok', redis: 'ok' } }), 5000);
      const lost = await c.get('/login/code');
      expect(lost.statusCode).toBe(303);
      expect(lost.headers.location).toBe('/login');
      expectKeptOut(await signedIn.get('/'), 'GET / for a session Redis no longer holds');
      await signsInEndToEnd(t);
      expect(t.logs.join('')).not.toMatch(/"msg":"request failed"/);
    });
  });

  // Retried: the cut is meant to land on the code POST's own query, found as "a query of this
  // database waiting on the lock"; on a loaded machine another statement of the app may be the one
  // waiting at that moment (seen once in 2 CI runs with the two backend suites at once), and the
  // POST then finishes untouched. A behaviour that broke would fail every try.
  it('lives through pg_terminate_backend of every connection to its database mid sign-in: 503 at worst, then the sign-in completes', { retry: 2 }, async () => {
    const t = await startApp({ api: 'v2' });
    const url = (await backendEnv(t.dir)).DATABASE_URL;
    const database = new URL(url).pathname.slice(1);
    const c = t.client();
    await pendingSignIn(c);
    const code = t.sim.lastCode(ALICE.phone) as string;

    // Idle connections: the pool holds some (the password step and the code page just used it).
    expect(await terminateConnections(database)).toBeGreaterThan(0);
    const page = await retryThrough503(() => c.get('/login/code'), 'GET /login/code');
    expect(page.statusCode, page.body.slice(0, 200)).toBe(200);

    // A connection in use: the code POST waits on a lock an admin holds on the accounts, and then
    // every connection to the database is terminated (the admin's own too, which frees the lock).
    const inFlight = await whileAccountsLocked(url, database, () => c.post('/login/code', { code }));
    expectUnavailablePage(inFlight, 'POST /login/code whose connection was terminated');
    const done = await retryThrough503(() => c.post('/login/code', { code }), 'POST /login/code');
    expect(done.statusCode, done.body.slice(0, 200)).toBe(303);
    expect(done.headers.location).toBe('/');
    expect((await retryThrough503(() => c.get('/'), 'GET /')).statusCode).toBe(200);

    // The signed-in page the same way: a 503 while cut (never the page), then the page again. The
    // gate trusts an account it read for ACCOUNT_CACHE_MS (with sessions in Redis, nothing else of
    // this page touches PostgreSQL): past that, it must read the account again.
    await t.moveClock(Date.now() + ACCOUNT_CACHE_MS);
    expectKeptOut(await whileAccountsLocked(url, database, () => c.get('/')), 'GET / whose connection was terminated');
    expect((await retryThrough503(() => c.get('/'), 'GET / after its connection was terminated')).statusCode).toBe(200);
    expect(await terminateConnections(database)).toBeGreaterThan(0);
    expect((await retryThrough503(() => c.get('/'), 'GET / after the idle connections were terminated')).statusCode).toBe(200);
    await eventually(async () => expect(await health(t)).toEqual({ status: 200, body: ALL_OK }), 5000);
    expect(t.logs.join('')).not.toMatch(/"msg":"request failed"/);
  });

  it('answers 503 while PostgreSQL cannot be reached at all, keeps everyone out, and works again when it is back', async () => {
    const proxy = await startOutageProxy();
    try {
      const dir = removeAfterTest(await seededDir());
      const direct = (await backendEnv(dir)).DATABASE_URL;
      const viaProxy = Object.assign(new URL(direct), { port: String(proxy.port) }).href;
      const t = await startApp({ api: 'v2', dir, env: { DATABASE_URL: viaProxy } });
      expect(await health(t)).toEqual({ status: 200, body: ALL_OK });
      const signedIn = await signsInEndToEnd(t);
      const c = t.client();
      await pendingSignIn(c);
      const code = t.sim.lastCode(ALICE.phone) as string;

      await proxy.stop(); // connections cut, new ones refused

      const down = TEST_REDIS ? { status: 'unavailable', database: 'unavailable', redis: 'ok' } : { status: 'unavailable', database: 'unavailable' };
      const healthz = await t.app.inject({ method: 'GET', url: '/healthz' });
      expect({ status: healthz.statusCode, body: healthz.json() }).toEqual({ status: 503, body: down });
      expect(Number(healthz.headers['retry-after'])).toBeGreaterThan(0);
      await t.moveClock(Date.now() + ACCOUNT_CACHE_MS); // past the gate's account cache (see above)
      expectKeptOut(await signedIn.get('/'), 'GET / for a session from before the outage');
      expectUnavailablePage(await c.get('/login/code'), 'GET /login/code');
      expectUnavailablePage(await c.post('/login/code', { code }), 'POST /login/code with the right code');
      // (with sessions in Redis the gate still reads this one, and sends it back to its code step)
      expectKeptOut(await c.get('/'), 'GET / for the pending sign-in', ['/login', '/login/code']);
      const other = t.client();
      expectUnavailablePage(await other.post('/login', { email: ALICE.email, password: ALICE.password }), 'POST /login');
      expect(t.logs.join('')).not.toMatch(/"msg":"request failed"/);

      await proxy.start(); // the same port again
      await eventually(async () => expect(await health(t)).toEqual({ status: 200, body: ALL_OK }), 5000);
      // what was stored before the outage is still there: the session and the pending sign-in
      expect((await signedIn.get('/')).statusCode).toBe(200);
      expect((await c.get('/login/code')).statusCode).toBe(200);
      const done = await c.post('/login/code', { code });
      expect(done.statusCode, done.body.slice(0, 200)).toBe(303);
      expect(done.headers.location).toBe('/');
      expect((await c.get('/')).statusCode).toBe(200);
      await signsInEndToEnd(t);
      expect(t.logs.join('')).not.toMatch(/"msg":"request failed"/);
    } finally {
      await proxy.stop();
    }
  });

  it('on SIGTERM during a code check in flight, the check completes, new connections are refused, and the process exits 0 within 10 s', { timeout: SPAWNED_SERVER_TEST_MS }, async () => {
    const dir = removeAfterTest(await seededDir());
    const sim = await startVerifySimulator(simulatorOptions({ slowMs: 1500 }));
    try {
      const port = await freePort();
      const server = startServer({
        ...(await backendEnv(dir)),
        ...verifyEnv('v2', sim.url),
        VERIFY_TIMEOUT_MS: '10000',
        PORT: String(port),
        MIGRATIONS_DIR: `${MIGRATIONS}:${join(dir, 'seeds')}`,
        SESSION_SECRET,
      });
      await server.waitFor(/Server listening/, 20_000);
      const request = browser(`http://127.0.0.1:${port}`);
      await request('/login');
      expect((await request('/login', { email: ALICE.email, password: ALICE.password })).location).toBe('/login/code');
      expect((await request('/login/code')).status).toBe(200);

      sim.setFailureMode('slow');
      const before = sim.requests.length;
      const check = request('/login/code', { code: sim.lastCode(ALICE.phone) as string });
      check.catch(() => {}); // awaited below
      // The code is checked against the database and budgets, and the Verify call is in flight.
      for (const start = Date.now(); sim.requests.length === before; await new Promise((r) => setTimeout(r, 20))) {
        if (Date.now() - start > 5000) throw new Error('the Verify check never arrived');
      }

      const start = Date.now();
      server.child.kill('SIGTERM');
      await server.waitFor(/SIGTERM received, closing/);
      await expect(fetch(`http://127.0.0.1:${port}/login`)).rejects.toThrow();
      const done = await check;
      expect(done.status).toBe(303);
      expect(done.location).toBe('/');
      expect(await server.exited).toBe(0);
      expect(Date.now() - start).toBeLessThan(10_000);
      expect(server.output().stdout).not.toMatch(/"msg":"request failed"/);
    } finally {
      await sim.close();
    }
  });
});
