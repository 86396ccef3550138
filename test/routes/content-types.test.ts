// Forms are the only body the app reads: anything else answers 415 with a page saying so, before
// the CSRF check or any password work; a form with a charset or odd casing is still a form.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALICE, startTestApp } from '../helpers/test-app.ts';
import type { TestApp } from '../helpers/test-app.ts';
import { csrfFrom } from '../helpers/cookie-jar.ts';

describe('request content types', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ api: 'v2' });
  });
  afterAll(() => t.close());

  /** A CSRF cookie and a form body carrying its token, as a browser sends them. */
  async function signInForm(fields: Record<string, string> = { email: ALICE.email, password: 'wrong password' }) {
    const page = await t.app.inject({ method: 'GET', url: '/login' });
    const cookies = { _csrf: page.cookies.find((c) => c.name === '_csrf')!.value };
    return { cookies, payload: new URLSearchParams({ _csrf: csrfFrom(page.body), ...fields }).toString() };
  }

  it.each([
    ['JSON', 'application/json'],
    ['plain text', 'text/plain'],
    ['multipart', 'multipart/form-data; boundary=x'],
    ['XML', 'application/xml'],
    ['a broken Content-Type', ';;;'],
  ])('a %s body answers 415 with a page saying only forms are accepted', async (_name, contentType) => {
    const { cookies, payload } = await signInForm();
    const res = await t.app.inject({ method: 'POST', url: '/login', cookies, headers: { 'content-type': contentType }, payload });
    expect(res.statusCode).toBe(415);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('Only forms are accepted');
    expect(res.body).toContain('application/x-www-form-urlencoded');
  });

  it('a body with no Content-Type answers 415', async () => {
    const { cookies, payload } = await signInForm();
    const res = await t.app.inject({ method: 'POST', url: '/login', cookies, payload });
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.statusCode).toBe(415);
  });

  it('a POST with no body and no Content-Type is not a 5xx (no _csrf: 403)', async () => {
    const { cookies } = await signInForm();
    const res = await t.app.inject({ method: 'POST', url: '/login', cookies });
    expect(res.statusCode).toBe(403);
  });

  it.each([
    'application/x-www-form-urlencoded; charset=utf-8',
    'application/x-www-form-urlencoded;charset=UTF-8',
    'Application/X-WWW-Form-Urlencoded',
  ])('"%s" is a form: the password is checked', async (contentType) => {
    const { cookies, payload } = await signInForm();
    const res = await t.app.inject({ method: 'POST', url: '/login', cookies, headers: { 'content-type': contentType }, payload });
    expect(res.statusCode).toBe(401);
    expect(res.body).toContain('do not match an account');
  });

  it('a form with a charset signs in', async () => {
    const { cookies, payload } = await signInForm({ email: ALICE.email, password: ALICE.password });
    const headers = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };
    const res = await t.app.inject({ method: 'POST', url: '/login', cookies, headers, payload });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/login/code');
  });

  it('a form that fails its schema stays 400, a malformed one is 4xx, and a large one 413', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const twoEmails = await signInForm();
    const schema = await t.app.inject({
      method: 'POST',
      url: '/login',
      cookies: twoEmails.cookies,
      headers: form,
      payload: `${twoEmails.payload}&email=b%40example.com`,
    });
    expect(schema.statusCode).toBe(400);
    expect(schema.body).toContain('missing or malformed');

    const broken = await signInForm();
    const malformed = await t.app.inject({ method: 'POST', url: '/login', cookies: broken.cookies, headers: form, payload: `${broken.payload}&%%%=%E0%A4%A` });
    expect(malformed.statusCode).toBeGreaterThanOrEqual(400);
    expect(malformed.statusCode).toBeLessThan(500);

    const big = await signInForm({ email: ALICE.email, password: 'x'.repeat(20_000) });
    const large = await t.app.inject({ method: 'POST', url: '/login', cookies: big.cookies, headers: form, payload: big.payload });
    expect(large.statusCode).toBe(413);
    expect(t.sim.sent).toHaveLength(1); // only the sign-in above reached Verify
  });
});
