// Passkeys across the app (issue 16): PASSKEYS=off leaves no trace (no route, no word on a page,
// no script); the home page's one-time offer after a sign-in by SMS; the page script and the
// browser library served by the app itself, without the session; and no challenge, credential ID
// or public key in any log line.
import { describe, expect, it } from 'vitest';
import { ALICE, useTestApps } from '../helpers/test-app.ts';
import type { TestApp, TestClient } from '../helpers/test-app.ts';
import { PASSKEYS, PASSKEY_STEP, addPasskey, optionsFrom, passwordToPasskey, usePasskey } from '../helpers/passkeys.ts';
import { CONFIRM, PAST_STEP_UP_MS, later } from '../helpers/confirm.ts';

async function signedIn(t: TestApp): Promise<TestClient> {
  const c = t.client();
  expect((await c.signIn(t.sim)).statusCode).toBe(303);
  return c;
}
const OFFER = 'Skip the SMS code next time';
const DISMISS = '/account/passkey-offer/dismiss';

describe('passkeys across the app', () => {
  const start = useTestApps();

  it('PASSKEYS=off: every passkey route is 404, no page says a word of them, and the scripts are not served', async () => {
    const t = await start({ api: 'v2', env: { PASSKEYS: 'off' } });
    const c = await signedIn(t);
    const pages = [await c.get('/'), await c.get('/account/sessions'), await c.get('/account/recovery-codes')];
    await later(t, PAST_STEP_UP_MS);
    await c.post('/account/sessions/end-others');
    await c.get(CONFIRM);
    await c.post(CONFIRM, { password: ALICE.password });
    pages.push(await c.get(CONFIRM));
    for (const page of pages) {
      expect(page.statusCode).toBe(200);
      expect(page.body.toLowerCase()).not.toContain('passkey');
    }
    expect(pages.at(-1)?.body).toContain('name="code"'); // the confirmation went straight to a code
    for (const url of [PASSKEYS, PASSKEY_STEP, '/static/passkeys.js', '/static/webauthn/index.js']) {
      expect((await c.get(url)).statusCode, url).toBe(404);
    }
    for (const url of [PASSKEYS, `${PASSKEYS}/options`, `${PASSKEYS}/remove`, DISMISS, `${PASSKEY_STEP}/options`, PASSKEY_STEP, `${PASSKEY_STEP}/sms`, `${CONFIRM}/passkey`, `${CONFIRM}/sms`]) {
      expect((await c.post(url, { id: '1' })).statusCode, url).toBe(404);
    }
    await c.post('/logout');
    await c.get('/login');
    const login = await c.post('/login', { email: ALICE.email, password: ALICE.password });
    expect(login.headers.location).toBe('/login/code');
    expect((await c.get('/login/code')).body.toLowerCase()).not.toContain('passkey');
  });

  it('PASSKEYS=off keeps a passkey already stored from being asked for: the account signs in by code', async () => {
    const t = await start({ api: 'v2', env: { PASSKEYS: 'off' } });
    await t.sql(
      "INSERT INTO passkeys (user_id, credential_id, public_key, device_type, name, created_at) SELECT id, 'c3RvcmVkLXdoaWxlLW9u', $1, 'singleDevice', 'Laptop', 0 FROM users",
      [Buffer.from([1, 2, 3])],
    );
    const c = t.client();
    expect((await c.post('/login', { email: ALICE.email, password: ALICE.password })).headers.location).toBe('/login/code');
  });

  it('offers a passkey on the home page after a sign-in by SMS, until "Not now"', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    const home = await c.get('/');
    expect(home.body).toContain(OFFER);
    expect(home.body).toContain('<a href="/account/passkeys">Add a passkey</a>');
    expect(home.body).toContain('Not now');
    expect(home.body).toContain('<script type="module" src="/static/passkeys.js"></script>');
    expect((await c.get('/')).body).toContain(OFFER); // still there until dismissed
    const dismissed = await c.post(DISMISS);
    expect(dismissed.statusCode).toBe(303);
    expect(dismissed.headers.location).toBe('/');
    const after = await c.get('/');
    expect(after.body).not.toContain(OFFER);
    expect(after.body).not.toContain('/static/passkeys.js');
    expect(after.body).toContain('<a href="/account/passkeys">Passkeys</a>');
  });

  it('does not offer one once a passkey is added, nor after a sign-in with a passkey', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    const auth = await addPasskey(c);
    expect((await c.get('/')).body).not.toContain(OFFER);
    await c.post('/logout');
    await c.get('/login');
    await passwordToPasskey(t, c);
    await usePasskey(c, auth);
    expect((await c.get('/')).body).not.toContain(OFFER);
  });

  it('serves the page script and @simplewebauthn/browser’s ESM build from the app, every relative import resolving, without a session', async () => {
    const t = await start({ api: 'v2' });
    const script = await t.app.inject({ method: 'GET', url: '/static/passkeys.js' });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    const imports = (source: string) => [...source.matchAll(/^\s*(?:import|export)\b[^'"]*?\bfrom\s+'([^']+)'/gm)].map((match) => match[1]);
    expect(imports(script.body)).toEqual(['/static/webauthn/index.js']);

    // Walk the library's module graph as the browser would: every file it imports is served.
    const seen = new Set<string>();
    const queue = ['/static/webauthn/index.js'];
    while (queue.length > 0) {
      const url = queue.pop() as string;
      if (seen.has(url)) continue;
      seen.add(url);
      const res = await t.app.inject({ method: 'GET', url, cookies: { sid: 'anything' } });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['set-cookie'], url).toBeUndefined();
      for (const next of imports(res.body)) queue.push(new URL(next, `http://localhost${url}`).pathname);
    }
    expect(seen.size).toBeGreaterThan(10);
    // Only the library's scripts: not its type declarations or source maps.
    expect((await t.app.inject({ method: 'GET', url: '/static/webauthn/index.d.ts' })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/static/webauthn/../package.json' })).statusCode).not.toBe(200);
    // The pages keep the CSP: scripts from this origin only.
    expect((await t.app.inject({ method: 'GET', url: '/login' })).headers['content-security-policy']).toContain("script-src 'self'");
  });

  it('counts passkey sign-ins and failures in the sign-in outcomes metric', async () => {
    const t = await start({ api: 'v2', env: { METRICS_PORT: '0' } });
    const c = await signedIn(t);
    const auth = await addPasskey(c);
    await c.post('/logout');
    await c.get('/login');
    await passwordToPasskey(t, c);
    await c.post(PASSKEY_STEP, { response: JSON.stringify(auth.assert({ challenge: 'never-asked' })) });
    expect((await usePasskey(c, auth)).headers.location).toBe('/');
    const address = t.app.metricsAddress();
    const text = await (await fetch(`http://127.0.0.1:${address?.port}/metrics`)).text();
    const valueOf = (series: string) => Number(text.split('\n').find((line) => line.startsWith(`${series} `))?.slice(series.length + 1));
    expect(valueOf('signin_outcomes_total{step="code",outcome="passkey"}')).toBe(1);
    expect(valueOf('signin_outcomes_total{step="code",outcome="passkey-failed"}')).toBe(1);
  });

  it('never writes a challenge, a credential ID or a public key to the log', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    await c.get(PASSKEYS);
    const registration = await optionsFrom(c, `${PASSKEYS}/options`);
    const { softAuthenticator } = await import('../helpers/soft-authenticator.ts');
    const auth = softAuthenticator();
    const registered = auth.register(registration) as { response: { attestationObject: string } };
    await c.post(PASSKEYS, { response: JSON.stringify(registered) });
    await c.post('/logout');
    await c.get('/login');
    await passwordToPasskey(t, c);
    const options = await optionsFrom(c, `${PASSKEY_STEP}/options`);
    await c.post(PASSKEY_STEP, { response: JSON.stringify(auth.assert({ challenge: 'not-the-challenge' })) });
    await c.post(PASSKEY_STEP, { response: JSON.stringify(auth.assert(options)) });
    const [{ public_key: publicKey }] = await t.sql('SELECT public_key FROM passkeys');
    const keyBytes = Buffer.from(publicKey as Uint8Array);
    const log = t.logs.join('\n');
    expect(log.length).toBeGreaterThan(0);
    for (const secret of [registration.challenge, options.challenge, auth.credentialId, keyBytes.toString('base64url'), keyBytes.toString('base64'), keyBytes.toString('hex')]) {
      expect(log).not.toContain(secret);
    }
  });
});
