// The whole sign-in through HTTP, for both Verify APIs: password, code, protected page, logout.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ALICE, startTestApp } from '../helpers/test-app.ts';
import type { Api, TestApp } from '../helpers/test-app.ts';

describe.each<Api>(['v2', 'legacy'])('sign-in over the %s Verify API', (api) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp({ api });
  });
  afterEach(() => t.close());

  it('password, then code, then the protected home page showing the account', async () => {
    const c = t.client();
    const login = await c.post('/login', { email: 'Alice@Example.com ', password: ALICE.password });
    expect(login.statusCode).toBe(303);
    expect(login.headers.location).toBe('/login/code');
    expect(t.sim.sent).toHaveLength(1);
    expect(t.sim.sent[0].to).toBe('15555550100'); // Vonage wants bare digits

    const codePage = await c.get('/login/code');
    expect(codePage.statusCode).toBe(200);
    expect(codePage.body).toContain('+1 ••• ••• 0100');
    expect(codePage.body).not.toContain('5555550100');
    expect(codePage.body).toMatch(/autocomplete="one-time-code"/);
    expect(codePage.body).toMatch(/inputmode="numeric"/);
    expect(codePage.body).toContain('action="/login/code/resend"');
    expect(codePage.body).toContain('action="/login/code/cancel"');

    const code = await c.post('/login/code', { code: t.sim.lastCode(ALICE.phone) as string });
    expect(code.statusCode).toBe(303);
    expect(code.headers.location).toBe('/');

    const home = await c.get('/');
    expect(home.statusCode).toBe(200);
    expect(home.body).toContain(ALICE.email);
  });

  it('keeps protected pages shut before the password, between the steps, and opens them after', async () => {
    const c = t.client();
    const before = await c.get('/');
    expect(before.statusCode).toBe(303);
    expect(before.headers.location).toBe('/login');
    expect(before.body).not.toContain(ALICE.email);

    await c.post('/login', { email: ALICE.email, password: ALICE.password });
    const between = await c.get('/');
    expect(between.statusCode).toBe(303);
    expect(between.headers.location).toBe('/login/code');
    expect(between.body).not.toContain(ALICE.email);

    await c.post('/login/code', { code: t.sim.lastCode(ALICE.phone) as string });
    expect((await c.get('/')).statusCode).toBe(200);
  });

  it('sends the user to the page first asked for, same-origin paths only', async () => {
    const c = t.client();
    const first = await c.get('/?tab=settings');
    expect(first.headers.location).toBe('/login');
    const done = await c.signIn(t.sim);
    expect(done.headers.location).toBe('/?tab=settings');

    const evil = t.client();
    await evil.get('//evil.example/');
    const evilDone = await evil.signIn(t.sim);
    expect(evilDone.headers.location).toBe('/');
  });

  it('changes the session ID after the password step and again after the code step', async () => {
    const c = t.client();
    await c.get('/login');
    expect(c.sessionId()).toBeUndefined(); // an anonymous visitor gets no session
    await c.post('/login', { email: ALICE.email, password: ALICE.password });
    const afterPassword = c.sessionId();
    expect(afterPassword).toBeDefined();
    await c.post('/login/code', { code: t.sim.lastCode(ALICE.phone) as string });
    const afterCode = c.sessionId();
    expect(afterCode).toBeDefined();
    expect(afterCode).not.toBe(afterPassword);

    // the pre-code session ID no longer opens anything
    const stale = await t.app.inject({ method: 'GET', url: '/', cookies: { sid: afterPassword as string } });
    expect(stale.statusCode).toBe(303);
    expect(stale.headers.location).toBe('/login');
  });

  it('sets the session cookie HttpOnly, SameSite=Lax, Path=/ and not Secure outside production', async () => {
    const c = t.client();
    await c.get('/login');
    const login = await c.post('/login', { email: ALICE.email, password: ALICE.password });
    const setCookie = ([] as string[]).concat(login.headers['set-cookie'] ?? []).find((h) => h.startsWith('sid='));
    expect(setCookie).toBeDefined();
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).toMatch(/Path=\//);
    expect(setCookie).not.toMatch(/Secure/i);
  });

  it('never shows the Verify request ID in a page, a header or a log line', async () => {
    const c = t.client();
    const responses = [await c.get('/login')];
    responses.push(await c.post('/login', { email: ALICE.email, password: ALICE.password }));
    responses.push(await c.get('/login/code'));
    responses.push(await c.post('/login/code', { code: '000000' }));
    responses.push(await c.post('/login/code', { code: t.sim.lastCode(ALICE.phone) as string }));
    responses.push(await c.get('/'));
    const requestId = t.sim.sent[0].requestId;
    expect(requestId).toMatch(/^[\w-]{8,}$/);
    for (const res of responses) {
      expect(res.body).not.toContain(requestId);
      expect(JSON.stringify(res.headers)).not.toContain(requestId);
    }
    const logs = t.logs.join('');
    expect(logs).not.toContain(requestId);
    expect(logs).not.toContain(t.sim.sent[0].code);
    expect(logs).not.toContain(ALICE.password);
    expect(logs).not.toContain(c.sessionId() as string);
  });

  it('logout destroys the session server-side: the old cookie opens nothing', async () => {
    const c = t.client();
    await c.signIn(t.sim);
    const sid = c.sessionId() as string;
    await c.get('/');
    const out = await c.post('/logout');
    expect(out.statusCode).toBe(303);
    expect(out.headers.location).toBe('/login');
    expect(c.sessionId()).toBeUndefined();
    const replay = await t.app.inject({ method: 'GET', url: '/', cookies: { sid } });
    expect(replay.statusCode).toBe(303);
    expect(replay.headers.location).toBe('/login');
    const loginPage = await c.get('/login');
    expect(loginPage.body).toContain('You have been signed out.');
  });

  it('answers 401 with one generic message for a wrong password and an unknown email alike', async () => {
    const c = t.client();
    const wrong = await c.post('/login', { email: ALICE.email, password: 'not the password' });
    const unknown = await c.post('/login', { email: 'nobody@example.com', password: 'not the password' });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    const message = (html: string) => /<p class="error"[^>]*>([^<]*)</.exec(html)?.[1];
    expect(message(wrong.body)).toBeTruthy();
    expect(message(wrong.body)).toBe(message(unknown.body));
    expect(wrong.body).toContain('name="password"'); // the form again
    expect(t.sim.sent).toHaveLength(0); // no SMS before the password is right
    expect(c.sessionId()).toBeUndefined();
  });

  it('redirects /login/code to /login when no password step happened', async () => {
    const res = await t.client().get('/login/code');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/login');
  });
});
