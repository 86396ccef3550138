// What forgets a remembered browser (a password or phone change, disabling the account, however
// done: database triggers), and the remember cookie's flags in production. Signing out everywhere
// else: account-sessions.test.ts.
import { describe, expect, it } from 'vitest';
import { ALICE, createTestClient, useTestApps } from '../helpers/test-app.ts';
import type { TestApp } from '../helpers/test-app.ts';
import { hashPassword } from '../../src/accounts/passwords.ts';
import { HTTPS, passwordStep, rememberedRows, setCookies, signInWithCode, signOut } from '../helpers/remembering.ts';

describe('a remembered browser is forgotten', () => {
  const start = useTestApps();

  it.each([
    ['a password change', (t: TestApp) => hashPassword(ALICE.password).then((hash) => t.sql('UPDATE users SET password_hash = $1 WHERE email = $2', [hash, ALICE.email]))],
    ['a phone change', (t: TestApp) => t.sql('UPDATE users SET phone = $1 WHERE email = $2', ['+15555550199', ALICE.email])],
    ['disabling the account (even if enabled again)', async (t: TestApp) => {
      await t.sql('UPDATE users SET disabled = 1 WHERE email = $1', [ALICE.email]);
      await t.sql('UPDATE users SET disabled = 0 WHERE email = $1', [ALICE.email]);
    }],
  ])('%s forgets the remembered browser: the next sign-in asks for a code', async (_name, change) => {
    const t = await start({ api: 'v2' });
    const c = t.client();
    await signInWithCode(t, c);
    await signOut(c);
    expect(await rememberedRows(t)).toHaveLength(1);
    await change(t);
    expect(await rememberedRows(t)).toEqual([]);
    expect((await passwordStep(c)).headers.location).toBe('/login/code');
    expect(c.jar.cookies.remember).toBeUndefined();
  });
});

describe('remember this browser in production', () => {
  const start = useTestApps();

  it('the cookie is __Host-remember: Secure, HttpOnly, SameSite=Lax, Path=/, no Domain, when set and when rotated', async () => {
    const t = await start({ api: 'v2', env: { NODE_ENV: 'production', TRUST_PROXY: '127.0.0.1', PUBLIC_ORIGIN: 'https://app.example.com' } });
    const c = createTestClient(t.app, HTTPS);
    const done = await signInWithCode(t, c);
    await signOut(c);
    const skipped = await passwordStep(c);
    expect(skipped.headers.location).toBe('/');
    const headers = [...setCookies(done), ...setCookies(skipped)].filter((h) => /remember=/.test(h));
    expect(headers).toHaveLength(2);
    for (const header of headers) {
      expect(header).toMatch(/^__Host-remember=[A-Za-z0-9_-]{43}; Max-Age=\d+; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    }
    expect(c.jar.cookies['__Host-remember']).toBeDefined();
    // an unprefixed cookie (planted by a subdomain) is not read
    const planted = createTestClient(t.app, HTTPS);
    planted.jar.set(`remember=${c.jar.cookies['__Host-remember']}; Path=/`, 'https://localhost/');
    expect((await passwordStep(planted)).headers.location).toBe('/login/code');
  });
});
