// Bad input gets a clear message and a 4xx, never a 5xx: CSRF, malformed and oversized forms,
// unknown pages (throttling: password-budget and code-budget tests).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClient, startTestApp } from '../helpers/test-app.ts';
import type { TestApp } from '../helpers/test-app.ts';
import { csrfFrom } from '../helpers/cookie-jar.ts';
import { TEST_REDIS } from '../helpers/test-backend.ts';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe('bad input', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ api: 'v2' });
  });
  afterAll(() => t.close());

  /** A CSRF cookie and token pair, as a browser holds them after GET /login. */
  async function csrfPair() {
    const page = await t.app.inject({ method: 'GET', url: '/login' });
    const cookie = page.cookies.find((c) => c.name === '_csrf')!;
    return { cookies: { _csrf: cookie.value }, token: csrfFrom(page.body) };
  }

  it.each(['/login', '/login/code', '/login/code/resend', '/login/code/cancel', '/logout'])(
    'POST %s without a _csrf field answers 403',
    async (url) => {
      const { cookies } = await csrfPair();
      const res = await t.app.inject({ method: 'POST', url, cookies, headers: FORM, payload: 'email=a%40b.c&password=x&code=1234' });
      expect(res.statusCode).toBe(403);
      expect(res.body).toContain('This form has expired');
    },
  );

  it('a _csrf token from another browser, or with no cookie, answers 403', async () => {
    const mine = await csrfPair();
    const theirs = await csrfPair();
    const payload = `_csrf=${encodeURIComponent(theirs.token)}&email=a%40b.c&password=x`;
    expect((await t.app.inject({ method: 'POST', url: '/login', cookies: mine.cookies, headers: FORM, payload })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'POST', url: '/login', headers: FORM, payload })).statusCode).toBe(403);
    expect(t.sim.sent).toHaveLength(0);
  });

  it.each([
    ['no email', (token: string) => `_csrf=${token}&password=x`],
    ['no password', (token: string) => `_csrf=${token}&email=a%40b.c`],
    ['two emails', (token: string) => `_csrf=${token}&email=a%40b.c&email=d%40e.f&password=x`],
    ['an email too long', (token: string) => `_csrf=${token}&email=${'a'.repeat(300)}%40b.c&password=x`],
  ])('POST /login with %s answers 400 with a clear page', async (_name, body) => {
    const { cookies, token } = await csrfPair();
    const res = await t.app.inject({ method: 'POST', url: '/login', cookies, headers: FORM, payload: body(encodeURIComponent(token)) });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toContain('missing or malformed');
  });

  it('an email that is not an address answers 400 with the form and the email kept', async () => {
    const c = createTestClient(t.app);
    const res = await c.post('/login', { email: 'alice', password: 'x' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('Enter your email address');
    expect(res.body).toContain('value="alice"');
  });

  it('a form larger than 16 KiB answers 413', async () => {
    const { cookies, token } = await csrfPair();
    const payload = `_csrf=${encodeURIComponent(token)}&email=a%40b.c&password=${'x'.repeat(20_000)}`;
    const res = await t.app.inject({ method: 'POST', url: '/login', cookies, headers: FORM, payload });
    expect(res.statusCode).toBe(413);
  });

  it('a body that is not a form answers 415, never 5xx', async () => {
    const { cookies } = await csrfPair();
    const cases = [
      { headers: { 'content-type': 'application/json' }, payload: '{"email": ' },
      { headers: { 'content-type': 'text/plain' }, payload: 'hello' },
      { headers: { 'content-type': 'multipart/form-data; boundary=x' }, payload: '--x--' },
      { headers: { 'content-type': ';;;' }, payload: 'a=b' },
    ];
    for (const { headers, payload } of cases) {
      const res = await t.app.inject({ method: 'POST', url: '/login', cookies, headers, payload });
      expect(res.statusCode).toBe(415);
    }
    const odd = await t.app.inject({ method: 'POST', url: '/login', cookies, headers: FORM, payload: '%%%' });
    expect(odd.statusCode).toBeGreaterThanOrEqual(400);
    expect(odd.statusCode).toBeLessThan(500);
  });

  it('a 403 that is not about CSRF does not say the form expired', async () => {
    // A path that climbs out of public/ with a backslash: @fastify/static refuses it with a 403.
    // (A plain `/static/../` is resolved to another URL before it reaches the static files: a 404.)
    const res = await t.app.inject({ method: 'GET', url: '/static/..%5c..%5cpackage.json' });
    expect(res.statusCode).toBe(403);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toContain('Not allowed');
    expect(res.body).not.toContain('This form has expired');
    expect(res.body).not.toContain('"name": "verify-signin"');
  });

  it('a forged or garbage session cookie is treated as no session', async () => {
    for (const sid of ['garbage', 'abc.def', 'x'.repeat(4000)]) {
      const res = await t.app.inject({ method: 'GET', url: '/', cookies: { sid } });
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe('/login');
    }
  });

  it('an unknown page answers 404 with a page', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.body).toContain('Page not found');
  });

  it('an email with a control character (a NUL) is refused as malformed on every engine', async () => {
    const c = createTestClient(t.app);
    for (const email of ['alice\u0000@example.com', 'alice@exa\u0007mple.com']) {
      const res = await c.post('/login', { email, password: 'x' });
      expect(res.statusCode).toBe(400);
      expect(res.body).toContain('Enter your email address');
    }
  });

  it('GET /healthz answers 200 naming each backend in use', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(TEST_REDIS ? { status: 'ok', database: 'ok', redis: 'ok' } : { status: 'ok', database: 'ok' });
  });
});

