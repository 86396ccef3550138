// Every response carries the security headers (worked out once from helmet at start-up).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALICE, startTestApp } from '../helpers/test-app.ts';
import type { TestApp } from '../helpers/test-app.ts';

describe('security headers', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ api: 'v2' });
  });
  afterAll(() => t.close());

  it.each(['/login', '/', '/nope', '/healthz', '/static/app.css'])('GET %s carries CSP, framing and sniffing headers', async (url) => {
    const res = await t.app.inject({ method: 'GET', url });
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("form-action 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'self'");
    expect(csp).not.toContain('upgrade-insecure-requests'); // plain HTTP outside production
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['strict-transport-security']).toBeUndefined();
  });

  it('pages with tokens or account details are not cached', async () => {
    const c = t.client();
    expect((await c.get('/login')).headers['cache-control']).toBe('no-store');
    await c.signIn(t.sim);
    expect((await c.get('/')).headers['cache-control']).toBe('no-store');
  });

  it('production adds HSTS and upgrade-insecure-requests', async () => {
    const prod = await startTestApp({ api: 'v2', env: { NODE_ENV: 'production', TRUST_PROXY: '127.0.0.1', PUBLIC_ORIGIN: 'https://app.example.com' } });
    try {
      const res = await prod.app.inject({ method: 'GET', url: '/login', headers: { 'x-forwarded-proto': 'https' } });
      expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(String(res.headers['content-security-policy'])).toContain('upgrade-insecure-requests');
      const login = await prod.client().post('/login', { email: ALICE.email, password: ALICE.password }, { 'x-forwarded-proto': 'https' });
      expect(login.statusCode).toBe(303);
    } finally {
      await prod.close();
    }
  });
});
