// The session's life as the sign-in plugin runs it: ended sessions stay ended (even against a
// request still in flight), disabled accounts lose their sessions, idle and absolute timeouts,
// the pending window, the CSRF secret renewed at sign-in and sign-out.
import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import { ALICE, useTestApps } from '../helpers/test-app.ts';
import type { TestApp, TestClient } from '../helpers/test-app.ts';
import { auditRows } from '../helpers/audit.ts';

const MINUTE = 60_000;

describe('the sign-in session lifecycle', () => {
  const startApp = useTestApps();
  const sql = <T>(app: TestApp, run: (db: Database.Database) => T): T => {
    const db = new Database(`${app.dir}/app.db`);
    try {
      return run(db);
    } finally {
      db.close();
    }
  };
  const rawSid = (c: TestClient) => decodeURIComponent(c.sessionId() as string).split('.')[0];
  const sessionRow = (app: TestApp, sid: string) =>
    sql(app, (db) => db.prepare('SELECT data, user_id AS userId FROM sessions WHERE sid = ?').get(sid)) as
      { data: string; userId: number | null } | undefined;
  const at = (ms: number) => vi.useFakeTimers({ toFake: ['Date'], now: ms });

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
    at(Date.now() + 31_000);
    t.sim.setFailureMode('slow');
    const resend = c.post('/login/code/resend');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const logout = await c.post('/logout');
    expect(logout.headers.location).toBe('/login');
    expect((await resend).statusCode).toBe(303); // the code went out, but the session it wrote back is dropped
    t.sim.setFailureMode('normal');
    expect(sessionRow(t, sid)).toBeUndefined();
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

  it('disabling an account by hand-run SQL ends its sessions at once, signed in and pending alike', async () => {
    const t = await startApp({ api: 'v2' });
    const c = await signedIn(t);
    const pendingElsewhere = t.client();
    await pendingElsewhere.post('/login', { email: ALICE.email, password: ALICE.password });
    expect(sql(t, (db) => db.prepare('SELECT count(*) AS n FROM sessions WHERE user_id IS NOT NULL').get())).toEqual({ n: 2 });

    sql(t, (db) => db.prepare('UPDATE users SET disabled = 1 WHERE email = ?').run(ALICE.email));
    expect(sql(t, (db) => db.prepare('SELECT count(*) AS n FROM sessions').get())).toEqual({ n: 0 });
    const home = await c.get('/');
    expect(home.headers.location).toBe('/login');
    expect((await pendingElsewhere.get('/login/code')).headers.location).toBe('/login');
  });

  it('the gate re-reads the account on every request: a disabled account is out even if its row survived', async () => {
    const t = await startApp({ api: 'v2' });
    const c = await signedIn(t);
    // Bypass the trigger, as a restore from an older backup might: only the gate stands in the way.
    sql(t, (db) => {
      db.exec('DROP TRIGGER users_disabled_end_sessions');
      db.prepare('UPDATE users SET disabled = 1 WHERE email = ?').run(ALICE.email);
    });
    const home = await c.get('/');
    expect(home.headers.location).toBe('/login');
    expect((await c.get('/login')).body).toContain('Your session has ended');
    expect(auditRows(t).some((row) => row.event === 'session-ended' && row.detail === 'account-unavailable')).toBe(true);
  });

  it('an idle session ends after SESSION_IDLE_MINUTES, and says so', async () => {
    const t = await startApp({ api: 'v2', env: { SESSION_IDLE_MINUTES: '30' } });
    const start = Date.now();
    const c = await signedIn(t);
    at(start + 29 * MINUTE);
    expect((await c.get('/')).statusCode).toBe(200); // activity moves the idle clock
    at(start + 58 * MINUTE);
    expect((await c.get('/')).statusCode).toBe(200);
    at(start + 89 * MINUTE);
    const idle = await c.get('/');
    expect(idle.headers.location).toBe('/login');
    expect((await c.get('/login')).body).toContain('timed out');
  });

  it('an active session still ends SESSION_MAX_HOURS after sign-in', async () => {
    const t = await startApp({ api: 'v2', env: { SESSION_IDLE_MINUTES: '30', SESSION_MAX_HOURS: '2' } });
    const start = Date.now();
    const c = await signedIn(t);
    for (let m = 20; m < 120; m += 20) {
      at(start + m * MINUTE);
      expect((await c.get('/')).statusCode).toBe(200);
    }
    at(start + 121 * MINUTE);
    expect((await c.get('/')).headers.location).toBe('/login');
  });

  it('a busy session is written at most once a minute', async () => {
    const t = await startApp({ api: 'v2' });
    const start = Date.now();
    const c = await signedIn(t);
    const sid = rawSid(c);
    const first = sessionRow(t, sid)?.data;
    for (let s = 5; s < 60; s += 10) {
      at(start + s * 1000);
      await c.get('/');
    }
    expect(sessionRow(t, sid)?.data).toBe(first);
    at(start + 61_000);
    await c.get('/');
    expect(sessionRow(t, sid)?.data).not.toBe(first);
  });

  it('the pending state ends 10 minutes after the latest code was sent', async () => {
    let clock = Date.now();
    const t = await startApp({ api: 'v2', simulator: { now: () => clock } });
    const c = t.client();
    await c.post('/login', { email: ALICE.email, password: ALICE.password });
    clock += 4 * MINUTE;
    at(clock);
    expect((await c.post('/login/code/resend')).headers.location).toBe('/login/code');
    clock += 8 * MINUTE;
    at(clock);
    expect((await c.get('/login/code')).statusCode).toBe(200); // 12 minutes in, 8 after the resend
    clock += 3 * MINUTE;
    at(clock);
    expect((await c.get('/login/code')).headers.location).toBe('/login');
  });

  it('sessions record their account, so one statement ends them all', async () => {
    const t = await startApp({ api: 'v2' });
    const c = await signedIn(t);
    expect(sessionRow(t, rawSid(c))?.userId).toBe(1);
  });

  it('renews the CSRF secret at sign-in and at sign-out: a token from before no longer works', async () => {
    const t = await startApp({ api: 'v2' });
    const c = t.client();
    await c.post('/login', { email: ALICE.email, password: ALICE.password });
    const codePage = await c.get('/login/code');
    const before = c.jar.cookies._csrf;
    const oldToken = /name="_csrf" value="([^"]+)"/.exec(codePage.body)![1];
    await c.post('/login/code', { code: t.sim.lastCode(ALICE.phone) as string });
    await c.get('/');
    expect(c.jar.cookies._csrf).toBeDefined();
    expect(c.jar.cookies._csrf).not.toBe(before);
    const stale = await t.app.inject({
      method: 'POST',
      url: '/logout',
      cookies: { ...c.jar.cookies },
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `_csrf=${encodeURIComponent(oldToken)}`,
    });
    expect(stale.statusCode).toBe(403);
    const signedInSecret = c.jar.cookies._csrf;
    expect((await c.post('/logout')).headers.location).toBe('/login');
    await c.get('/login');
    expect(c.jar.cookies._csrf).not.toBe(signedInSecret);
  });
});
