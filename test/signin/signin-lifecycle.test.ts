// The session's life as the sign-in plugin runs it: ended sessions stay ended (even against a
// request still in flight), disabled accounts lose their sessions, idle and absolute timeouts,
// the pending window, the CSRF secret renewed at sign-in and sign-out.
import type { Session } from 'fastify';
import { describe, expect, it } from 'vitest';
import { ALICE, useTestApps } from '../helpers/test-app.ts';
import type { TestApp, TestClient } from '../helpers/test-app.ts';
import { auditRows } from '../helpers/audit.ts';
import { TEST_DATABASE, TEST_REDIS } from '../helpers/test-backend.ts';
import { ACCOUNT_CACHE_MS } from '../../src/accounts/account-cache.ts';

const MINUTE = 60_000;

describe('the sign-in session lifecycle', () => {
  const startApp = useTestApps();
  const rawSid = (c: TestClient) => decodeURIComponent(c.sessionId() as string).split('.')[0];
  /** The session as its store (database or Redis) holds it, serialised; undefined when absent. */
  const stored = (app: TestApp, sid: string) =>
    new Promise<string | undefined>((resolve, reject) =>
      app.app.backends.state.sessions.get(sid, (error: unknown, session?: Session | null) =>
        error ? reject(error) : resolve(session ? JSON.stringify(session) : undefined),
      ),
    );

  /** The gate trusts an account it read this long: every change is seen within 5 seconds. */
  const afterAccountCache = (app: TestApp) => app.moveClock(Date.now() + ACCOUNT_CACHE_MS);

  async function signedIn(app: TestApp): Promise<TestClient> {
    const c = app.client();
    expect((await c.signIn(app.sim)).headers.location).toBe('/');
    expect((await c.get('/')).statusCode).toBe(200);
    return c;
  }

  it('a resend still in flight when the user logs out does not bring the session back', async () => {
    const t = await startApp({ api: 'v2', simulator: { slowMs: 250 } });
    const c = t.client();
    await c.post('/login', { email: ALICE.email, password: ALICE.password });
    await c.get('/login/code');
    const sid = rawSid(c);
    await t.moveClock(Date.now() + 31_000);
    t.sim.setFailureMode('slow');
    const resend = c.post('/login/code/resend');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const logout = await c.post('/logout');
    expect(logout.headers.location).toBe('/login');
    expect((await resend).statusCode).toBe(303); // the code went out, but the session it wrote back is dropped
    t.sim.setFailureMode('normal');
    expect(await stored(t, sid)).toBeUndefined();
    const replay = await t.app.inject({ method: 'GET', url: '/login/code', cookies: { sid: c.sessionId() as string } });
    expect(replay.headers.location).toBe('/login');
  });

  it('cancel on a stale code page does not sign out a browser that has signed in since', async () => {
    const t = await startApp({ api: 'v2' });
    const c = await signedIn(t);
    const cancel = await c.post('/login/code/cancel');
    expect(cancel.statusCode).toBe(303);
    expect(cancel.headers.location).toBe('/');
    expect((await c.get('/')).statusCode).toBe(200);
    expect(t.sim.requests.filter((r) => r.method === 'DELETE' || /cancel/.test(JSON.stringify(r.body)))).toHaveLength(0);
  });

  it('disabling an account by hand-run SQL ends its sessions (at once in the database, within 5 s in Redis), signed in and pending alike', async () => {
    const t = await startApp({ api: 'v2' });
    const c = await signedIn(t);
    const pendingElsewhere = t.client();
    await pendingElsewhere.post('/login', { email: ALICE.email, password: ALICE.password });
    // In the database the trigger deletes the rows in the same statement; in Redis the gate ends them.
    const rows = async () => (await t.sql('SELECT count(*) AS n FROM sessions'))[0].n;
    if (!TEST_REDIS) expect(Number(await rows())).toBe(2);
    await t.sql('UPDATE users SET disabled = 1 WHERE email = $1', [ALICE.email]);
    if (!TEST_REDIS) expect(Number(await rows())).toBe(0);
    if (TEST_REDIS) await afterAccountCache(t);
    const home = await c.get('/');
    expect(home.headers.location).toBe('/login');
    expect((await pendingElsewhere.get('/login/code')).headers.location).toBe('/login');
  });

  it('the gate re-reads the account within 5 s: a disabled account is out even if its row survived', async () => {
    const t = await startApp({ api: 'v2' });
    const c = await signedIn(t);
    // Bypass the trigger, as a restore from an older backup might: only the gate stands in the way.
    await t.sql(TEST_DATABASE === 'postgres' ? 'DROP TRIGGER users_disabled_end_sessions ON users' : 'DROP TRIGGER users_disabled_end_sessions');
    await t.sql('UPDATE users SET disabled = 1 WHERE email = $1', [ALICE.email]);
    // Within the account cache's few seconds the page may still show; after them it never does.
    await t.moveClock(Date.now() + ACCOUNT_CACHE_MS - 1000);
    expect((await c.get('/')).statusCode).toBe(200);
    await afterAccountCache(t);
    const home = await c.get('/');
    expect(home.headers.location).toBe('/login');
    expect((await c.get('/login')).body).toContain('Your session has ended');
    expect((await auditRows(t)).some((row) => row.event === 'session-ended' && row.detail === 'account-unavailable')).toBe(true);
  });

  it('disabling and re-enabling an account does not bring its old sessions back, whatever holds them', async () => {
    const t = await startApp({ api: 'v2' });
    const c = await signedIn(t);
    await t.sql('UPDATE users SET disabled = 1 WHERE email = $1', [ALICE.email]);
    await t.sql('UPDATE users SET disabled = 0 WHERE email = $1', [ALICE.email]);
    if (TEST_REDIS) await afterAccountCache(t);
    expect((await c.get('/')).headers.location).toBe('/login');
    const again = await signedIn(t); // the account itself works again
    expect((await again.get('/')).statusCode).toBe(200);
  });

  it("a deleted account's session never opens the account that reuses its id", async () => {
    const t = await startApp({ api: 'v2' });
    const c = await signedIn(t);
    const [{ id }] = await t.sql('SELECT id FROM users WHERE email = $1', [ALICE.email]);
    await t.sql('DELETE FROM users WHERE email = $1', [ALICE.email]);
    const hash = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoAAAAAA';
    await t.sql('INSERT INTO users (id, email, phone, password_hash) VALUES ($1, $2, $3, $4)', [id, 'bob@example.com', '+15555550199', hash]);
    if (TEST_REDIS) await afterAccountCache(t);
    const home = await c.get('/');
    expect(home.statusCode).toBe(303);
    expect(home.body).not.toContain('bob@example.com');
  });

  it('an idle session ends after SESSION_IDLE_MINUTES, and says so', async () => {
    const t = await startApp({ api: 'v2', env: { SESSION_IDLE_MINUTES: '30' } });
    const start = Date.now();
    const c = await signedIn(t);
    await t.moveClock(start + 29 * MINUTE);
    expect((await c.get('/')).statusCode).toBe(200); // activity moves the idle clock
    await t.moveClock(start + 58 * MINUTE);
    expect((await c.get('/')).statusCode).toBe(200);
    await t.moveClock(start + 89 * MINUTE);
    const idle = await c.get('/');
    expect(idle.headers.location).toBe('/login');
    expect((await c.get('/login')).body).toContain('timed out');
  });

  it('an active session still ends SESSION_MAX_HOURS after sign-in', async () => {
    const t = await startApp({ api: 'v2', env: { SESSION_IDLE_MINUTES: '30', SESSION_MAX_HOURS: '2' } });
    const start = Date.now();
    const c = await signedIn(t);
    for (let m = 20; m < 120; m += 20) {
      await t.moveClock(start + m * MINUTE);
      expect((await c.get('/')).statusCode).toBe(200);
    }
    await t.moveClock(start + 121 * MINUTE);
    expect((await c.get('/')).headers.location).toBe('/login');
  });

  it('a busy session is written at most once a minute', async () => {
    const t = await startApp({ api: 'v2' });
    const start = Date.now();
    const c = await signedIn(t);
    const sid = rawSid(c);
    const first = await stored(t, sid);
    for (let s = 5; s < 60; s += 10) {
      await t.moveClock(start + s * 1000);
      await c.get('/');
    }
    expect(await stored(t, sid)).toBe(first);
    await t.moveClock(start + 61_000);
    await c.get('/');
    expect(await stored(t, sid)).not.toBe(first);
  });

  it('the pending state ends 10 minutes after the latest code was sent', async () => {
    let clock = Date.now();
    const t = await startApp({ api: 'v2', simulator: { now: () => clock } });
    const c = t.client();
    await c.post('/login', { email: ALICE.email, password: ALICE.password });
    clock += 4 * MINUTE;
    await t.moveClock(clock);
    expect((await c.post('/login/code/resend')).headers.location).toBe('/login/code');
    clock += 8 * MINUTE;
    await t.moveClock(clock);
    expect((await c.get('/login/code')).statusCode).toBe(200); // 12 minutes in, 8 after the resend
    clock += 3 * MINUTE;
    await t.moveClock(clock);
    expect((await c.get('/login/code')).headers.location).toBe('/login');
  });

  it('sessions record their account, so one step ends them all, pending and signed in', async () => {
    const t = await startApp({ api: 'v2' });
    const c = await signedIn(t);
    const pending = t.client();
    await pending.post('/login', { email: ALICE.email, password: ALICE.password });
    expect(await t.app.backends.state.sessions.endAllForAccount(1)).toBe(2);
    expect((await c.get('/')).headers.location).toBe('/login');
    expect((await pending.get('/login/code')).headers.location).toBe('/login');
  });

  it('renews the CSRF secret at sign-in and at sign-out: a token from before no longer works', async () => {
    const t = await startApp({ api: 'v2' });
    const c = t.client();
    const token = (page: { body: string }) => /name="_csrf" value="([^"]+)"/.exec(page.body)![1];
    const postWith = (path: string, csrf: string) =>
      t.app.inject({
        method: 'POST',
        url: path,
        cookies: { ...c.jar.cookies },
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `_csrf=${encodeURIComponent(csrf)}`,
      });
    await c.post('/login', { email: ALICE.email, password: ALICE.password });
    const codePage = await c.get('/login/code');
    const before = c.jar.cookies._csrf;
    expect(before).toBeDefined();
    const oldToken = token(codePage);
    await c.post('/login/code', { code: t.sim.lastCode(ALICE.phone) as string });
    const home = await c.get('/');
    // Signed in, the secret lives in the session: the visitor's cookie is gone.
    expect(c.jar.cookies._csrf).toBeUndefined();
    expect((await postWith('/logout', oldToken)).statusCode).toBe(403);
    expect((await postWith('/logout', '')).statusCode).toBe(403);
    expect((await postWith('/logout', 'x'.repeat(40))).statusCode).toBe(403);
    const noField = await t.app.inject({ method: 'POST', url: '/logout', cookies: { ...c.jar.cookies }, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'a=b' });
    expect(noField.statusCode).toBe(403);
    expect((await c.get('/')).statusCode).toBe(200); // none of them signed the browser out
    const signedInToken = token(home);
    expect(signedInToken).not.toBe(oldToken);
    expect((await c.post('/logout')).headers.location).toBe('/login');
    await c.get('/login');
    expect(c.jar.cookies._csrf).toBeDefined();
    expect(c.jar.cookies._csrf).not.toBe(before);
    // Nor does the signed-in page's token work once signed out.
    expect((await postWith('/login/code/cancel', signedInToken)).statusCode).toBe(403);
  });
});
