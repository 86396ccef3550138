// In production every cookie the app sets is `__Host-` prefixed: Secure, Path=/, no Domain, so
// no subdomain or plain-HTTP page can plant or overwrite one. Walked through a whole sign-in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALICE, createTestClient, startTestApp } from '../helpers/test-app.ts';
import type { TestApp } from '../helpers/test-app.ts';

const HTTPS = { 'x-forwarded-proto': 'https' };

describe('cookies in production', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ api: 'v2', env: { NODE_ENV: 'production', TRUST_PROXY: '127.0.0.1', PUBLIC_ORIGIN: 'https://app.example.com' } });
  });
  afterAll(() => t.close());

  it('every Set-Cookie of a whole sign-in, logout and notice is __Host- prefixed, Secure, Path=/ and has no Domain', async () => {
    const c = createTestClient(t.app, HTTPS);
    const setCookies: string[] = [];
    const collect = (res: { headers: Record<string, unknown> }) => {
      setCookies.push(...([] as string[]).concat((res.headers['set-cookie'] as string | string[] | undefined) ?? []));
      return res;
    };
    collect(await c.get('/?from=bookmark'));
    collect(await c.get('/login'));
    collect(await c.post('/login', { email: ALICE.email, password: ALICE.password }));
    collect(await c.get('/login/code'));
    const done = collect(await c.post('/login/code', { code: t.sim.lastCode(ALICE.phone) as string }));
    expect(done.headers.location).toBe('/?from=bookmark');
    collect(await c.get('/'));
    collect(await c.post('/logout'));
    collect(await c.get('/login'));

    const names = new Set(setCookies.map((h) => h.split('=')[0]));
    expect([...names].sort()).toEqual(['__Host-csrf', '__Host-device', '__Host-next', '__Host-notice', '__Host-sid']);
    for (const header of setCookies) {
      expect(header).toMatch(/; Secure/);
      expect(header).toMatch(/; Path=\//);
      expect(header).not.toMatch(/; Domain=/i);
      expect(header).toMatch(/; HttpOnly/);
    }
  });

  it('an unprefixed cookie planted by a subdomain is ignored', async () => {
    const c = createTestClient(t.app, HTTPS);
    await c.signIn(t.sim);
    const planted = await t.app.inject({ method: 'GET', url: '/', headers: HTTPS, cookies: { sid: c.jar.cookies['__Host-sid'] } });
    expect(planted.headers.location).toBe('/login');
  });
});
