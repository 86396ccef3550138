// The code step's unhappy paths, for both Verify APIs: wrong, too many wrong, expired, resend, cancel.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ALICE, startTestApp } from '../helpers/test-app.ts';
import type { Api, TestApp, TestClient } from '../helpers/test-app.ts';

const wrongCodeFor = (code: string) => (code.startsWith('0') ? '1' : '0') + code.slice(1);

describe.each<Api>(['v2', 'legacy'])('code step over the %s Verify API', (api) => {
  let t: TestApp;
  let c: TestClient;
  let clock: number;
  beforeEach(async () => {
    clock = Date.now();
    t = await startTestApp({ api, simulator: { now: () => clock, slowMs: 300 } });
    c = t.client();
    const login = await c.post('/login', { email: ALICE.email, password: ALICE.password });
    expect(login.statusCode).toBe(303);
    await c.get('/login/code');
  });
  afterEach(async () => {
    vi.useRealTimers();
    await t.close();
  });
  const code = () => t.sim.lastCode(ALICE.phone) as string;

  it('a wrong code answers 401 with the form and a clear message, then the right code works', async () => {
    const wrong = await c.post('/login/code', { code: wrongCodeFor(code()) });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).toContain('That code isn&#39;t right');
    expect(wrong.body).toContain('name="code"');
    const right = await c.post('/login/code', { code: code() });
    expect(right.statusCode).toBe(303);
    expect(right.headers.location).toBe('/');
  });

  it('three wrong codes end the sign-in: 303 /login with a message, and the code no longer works', async () => {
    const sid = c.sessionId();
    expect((await c.post('/login/code', { code: wrongCodeFor(code()) })).statusCode).toBe(401);
    expect((await c.post('/login/code', { code: wrongCodeFor(code()) })).statusCode).toBe(401);
    const third = await c.post('/login/code', { code: wrongCodeFor(code()) });
    expect(third.statusCode).toBe(303);
    expect(third.headers.location).toBe('/login');
    const page = await c.get('/login');
    expect(page.body).toContain('Too many wrong codes');
    // the pending session is gone: even the right code cannot finish it
    const late = await t.app.inject({ method: 'GET', url: '/login/code', cookies: { sid: sid as string } });
    expect(late.headers.location).toBe('/login');
  });

  it('an expired request sends the user back to /login saying so', async () => {
    clock += 301_000; // past the Verify request's five minutes
    const res = await c.post('/login/code', { code: code() });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/login');
    expect((await c.get('/login')).body).toContain('Your code expired');
    expect((await c.get('/')).headers.location).toBe('/login');
  });

  it('a pending sign-in left for ten minutes is dropped', async () => {
    await t.moveClock(Date.now() + 11 * 60_000);
    const res = await c.get('/login/code');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/login');
    expect((await c.get('/login')).body).toContain('timed out');
  });

  it('malformed codes answer 400 without spending an attempt', async () => {
    for (const bad of ['abc', '12', '1'.repeat(11)]) {
      const res = await c.post('/login/code', { code: bad });
      expect(res.statusCode).toBe(400);
      expect(res.body).toContain('digits only');
    }
    expect(t.sim.requests.filter((r) => r.method === 'POST' && /check|\/v2\/verify\/\w+$/.test(r.path))).toHaveLength(0);
    const spaced = code().replace(/^(\d{2})/, '$1 ');
    expect((await c.post('/login/code', { code: spaced })).statusCode).toBe(303);
  });

  it('resend waits for the cooldown, then delivers again and the code still signs in', async () => {
    const early = await c.post('/login/code/resend');
    expect(early.statusCode).toBe(429);
    expect(Number(early.headers['retry-after'])).toBeGreaterThanOrEqual(29);
    expect(early.body).toMatch(/A code was sent moments ago\. You can ask for another soon\. Try again in (29|30) seconds\./);
    expect(early.body).toContain('name="code"');
    expect(t.sim.sent).toHaveLength(1);

    await t.moveClock(Date.now() + 31_000);
    clock += 31_000;
    const resent = await c.post('/login/code/resend');
    expect(resent.statusCode).toBe(303);
    expect(resent.headers.location).toBe('/login/code');
    expect(t.sim.sent).toHaveLength(2);
    expect((await c.get('/login/code')).body).toContain('Your code is on its way again');
    const done = await c.post('/login/code', { code: code() });
    expect(done.headers.location).toBe('/');
  });

  it('when every delivery is used up, resend starts a fresh request where Vonage allows it', async () => {
    let now = Date.now();
    const firstRequest = t.sim.sent[0].requestId;
    const resendLater = async () => {
      now += 31_000;
      clock += 31_000;
      await t.moveClock(now);
      return c.post('/login/code/resend');
    };
    // VERIFY_WORKFLOW's default: SMS then a voice call (legacy: workflow 5)
    for (let i = 0; i < 1; i++) expect((await resendLater()).headers.location).toBe('/login/code');
    const exhausted = await resendLater();
    if (api === 'v2') {
      // v2 cancels the used-up request and starts a new one by SMS
      expect(exhausted.headers.location).toBe('/login/code');
      const last = t.sim.sent.at(-1)!;
      expect(last.requestId).not.toBe(firstRequest);
      expect(last.channel).toBe('sms');
    } else {
      // legacy refuses to cancel after the re-deliveries, so no new request can start yet: say so
      expect(exhausted.statusCode).toBe(409);
      expect(exhausted.body).toContain('already sent');
      expect(exhausted.body).toContain('name="code"');
    }
    const done = await c.post('/login/code', { code: t.sim.sent.at(-1)!.code });
    expect(done.headers.location).toBe('/');
  });

  it('cancel ends the pending sign-in, attempts a Verify cancel, and lands on /login', async () => {
    clock += 31_000; // legacy refuses a cancel within 30 s
    const res = await c.post('/login/code/cancel');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/login');
    const cancelCall = t.sim.requests.find(
      (r) => (r.method === 'DELETE' && r.path.startsWith('/v2/verify/')) || (r.path === '/verify/control/json' && (r.body as { cmd?: string })?.cmd === 'cancel'),
    );
    expect(cancelCall).toBeDefined();
    expect((await c.get('/login/code')).headers.location).toBe('/login');
    expect((await c.get('/login')).body).toContain('Sign-in cancelled');
  });

  it('cancel still ends the sign-in when Vonage refuses the cancel', async () => {
    const res = await c.post('/login/code/cancel'); // within 30 s: legacy answers status 19
    expect(res.headers.location).toBe('/login');
    expect((await c.get('/')).headers.location).toBe('/login');
  });

  it('submitting the right code twice at once (a double click) signs in once; the other waits its turn (429), never signs out', async () => {
    const form = (await c.get('/login/code')).body;
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form)![1];
    const submit = () =>
      t.app.inject({
        method: 'POST',
        url: '/login/code',
        cookies: { ...c.jar.cookies },
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ _csrf: csrf, code: code() }).toString(),
      });
    t.sim.setFailureMode('slow'); // the first check holds the lock while the second arrives
    const both = await Promise.all([submit(), submit()]);
    t.sim.setFailureMode('normal');
    expect(both.map((res) => res.statusCode).sort()).toEqual([303, 429]);
    expect(both.find((res) => res.statusCode === 303)?.headers.location).toBe('/');
    expect(both.find((res) => res.statusCode === 429)?.headers['retry-after']).toBe('1');
    // only one check reached Vonage, and neither response clears the cookie the other sets
    expect(t.sim.requests.filter((r) => r.method === 'POST' && /check|\/v2\/verify\/[\w-]+$/.test(r.path))).toHaveLength(1);
    for (const res of both) expect(res.cookies.filter((k) => k.name === 'sid' && k.value === '')).toEqual([]);
    const winner = both.flatMap((res) => res.cookies).find((k) => k.name === 'sid')!;
    const home = await t.app.inject({ method: 'GET', url: '/', cookies: { sid: winner.value } });
    expect(home.statusCode).toBe(200);
  });

  it('an account deleted during the code step ends the sign-in without a server error', async () => {
    await t.sql('DELETE FROM users WHERE email = $1', [ALICE.email]);
    const res = await c.post('/login/code', { code: code() });
    expect(res.statusCode).toBe(303);
    const home = await c.get('/');
    expect(home.statusCode).toBe(303);
    expect(home.headers.location).toBe('/login');
    await c.get('/login');
    expect((await c.post('/logout')).statusCode).toBe(303);
  });

  it('a second password step while a code is pending carries on with the running request', async () => {
    const other = t.client();
    const again = await other.post('/login', { email: ALICE.email, password: ALICE.password });
    expect(again.statusCode).toBe(303);
    expect(again.headers.location).toBe('/login/code');
    expect(t.sim.sent).toHaveLength(1); // Vonage refused a concurrent request; no error for the user
    const done = await other.post('/login/code', { code: code() });
    expect(done.headers.location).toBe('/');
  });
});
