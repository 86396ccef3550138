// Signing in with a passkey (issue 16): after the right password an account with a passkey gets
// the passkey page instead of a code (no Verify request at all); the assertion, checked by the real
// @simplewebauthn/server against a software authenticator, finishes the sign-in. "Send a code
// instead", a recovery code with no SMS, and every way an assertion must be refused.
import { describe, expect, it } from 'vitest';
import { ALICE, useTestApps } from '../helpers/test-app.ts';
import type { TestApp, TestClient } from '../helpers/test-app.ts';
import { auditRows } from '../helpers/audit.ts';
import { PASSKEY_STEP, addPasskey, assertionFor, passwordToPasskey, seedPasskey, usePasskey } from '../helpers/passkeys.ts';
import { softAuthenticator } from '../helpers/soft-authenticator.ts';
import type { SoftAuthenticator, SoftAuthenticatorOptions } from '../helpers/soft-authenticator.ts';
import { SEEDED, seedAccount } from '../helpers/seeded-account.ts';
import { firstSignIn } from '../helpers/recovery-codes.ts';

/** Alice has a passkey (its row seeded: adding one is passkey-registration.test.ts's). */
const aliceWithPasskey = (t: TestApp, options: SoftAuthenticatorOptions = {}): Promise<SoftAuthenticator> => seedPasskey(t, options);

/** Sam, another account, has a passkey too. */
async function samWithPasskey(t: TestApp): Promise<SoftAuthenticator> {
  await seedAccount(t);
  return seedPasskey(t, {}, SEEDED.email);
}

const isSignedIn = async (c: TestClient) => (await c.get('/')).statusCode === 200;
const failures = async (t: TestApp) => (await auditRows(t)).filter((row) => row.event === 'passkey-failed').map((row) => row.detail);

describe('signing in with a passkey', () => {
  const start = useTestApps();

  it('sends no Verify request, and the passkey finishes the sign-in under a new session ID', async () => {
    const t = await start({ api: 'v2' });
    const auth = await aliceWithPasskey(t, { backupEligible: true, backedUp: true });
    const sent = t.sim.sent.length;
    const c = t.client();
    await passwordToPasskey(t, c);
    const page = await c.get(PASSKEY_STEP);
    expect(page.body).toContain('Use your passkey');
    expect(page.body).toContain('Send a code instead');
    expect(page.body).toContain('Use a recovery code');
    expect(page.body).toContain('<script type="module" src="/static/passkeys.js"></script>');
    // The code page is not this sign-in's step: it sends the browser to the passkey page.
    expect((await c.get('/login/code')).headers.location).toBe(PASSKEY_STEP);
    // Nor is a protected page reachable yet.
    expect((await c.get('/')).statusCode).toBe(303);

    const before = c.sessionId();
    const done = await usePasskey(c, auth);
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe('/');
    expect(c.sessionId()).not.toBe(before);
    expect(await isSignedIn(c)).toBe(true);
    expect(t.sim.sent).toHaveLength(sent);
    const events = (await auditRows(t)).map((row) => [row.event, row.detail]);
    expect(events).toContainEqual(['passkey-used', 'sign-in']);
    const [row] = await t.sql('SELECT last_used_at, backed_up FROM passkeys');
    expect(row.last_used_at).not.toBeNull();
  });

  it('the options name this account’s passkeys only, and ask for user verification', async () => {
    const t = await start({ api: 'v2' });
    const alices = await aliceWithPasskey(t);
    const sams = await samWithPasskey(t);

    const c = t.client();
    await passwordToPasskey(t, c);
    const options = (await c.post(`${PASSKEY_STEP}/options`, {}, { accept: 'application/json' })).json();
    expect(options.userVerification).toBe('required');
    expect(options.rpId).toBe('localhost');
    expect(options.allowCredentials.map((credential: { id: string }) => credential.id)).toEqual([alices.credentialId]);
    expect(JSON.stringify(options)).not.toContain(sams.credentialId);
  });

  it('refuses another account’s passkey: it never signs in this one', async () => {
    const t = await start({ api: 'v2' });
    await aliceWithPasskey(t);
    const sams = await samWithPasskey(t);

    const c = t.client();
    await passwordToPasskey(t, c);
    const refused = await usePasskey(c, sams);
    expect(refused.statusCode).toBe(401);
    expect(refused.body).toContain('role="alert"');
    expect(await isSignedIn(c)).toBe(false);
    expect(await failures(t)).toEqual(['sign-in unknown-credential']);
  });

  it('refuses a replayed response: the challenge was used up by the first POST', async () => {
    const t = await start({ api: 'v2' });
    const auth = await aliceWithPasskey(t);
    const c = t.client();
    await passwordToPasskey(t, c);
    const response = await assertionFor(c, auth);
    // A wrong answer first (another key), then the right one again: the challenge is gone.
    const impostor = softAuthenticator();
    const impostorAnswer = JSON.parse(response);
    impostorAnswer.response.signature = JSON.parse(JSON.stringify(impostor.assert({ challenge: 'x' }))).response.signature;
    expect((await c.post(PASSKEY_STEP, { response: JSON.stringify(impostorAnswer) })).statusCode).toBe(401);
    const replay = await c.post(PASSKEY_STEP, { response });
    expect(replay.statusCode).toBe(401);
    expect(await isSignedIn(c)).toBe(false);
    expect(await failures(t)).toEqual(['sign-in signature', 'sign-in no-challenge']);

    // After a sign-in, the same response replayed with the old session's cookie signs nothing in.
    const d = t.client();
    await passwordToPasskey(t, d);
    const fresh = await assertionFor(d, auth);
    const oldCookies = d.jar.cookiesFor('http://localhost/login/passkey');
    expect((await d.post(PASSKEY_STEP, { response: fresh })).headers.location).toBe('/');
    const replayed = await t.app.inject({
      method: 'POST',
      url: PASSKEY_STEP,
      cookies: oldCookies,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ response: fresh }).toString(),
    });
    expect(replayed.statusCode).toBe(403); // the old session and its CSRF secret are gone
  });

  it('refuses a response to a challenge older than five minutes', async () => {
    const t = await start({ api: 'v2' });
    const auth = await aliceWithPasskey(t);
    const c = t.client();
    await passwordToPasskey(t, c);
    const response = await assertionFor(c, auth);
    await t.moveClock(Date.now() + 5 * 60_000 + 1000);
    const late = await c.post(PASSKEY_STEP, { response });
    expect(late.statusCode).toBe(401);
    expect(late.body).toContain('That took too long');
    expect(await failures(t)).toEqual(['sign-in expired']);
    // A fresh challenge still works within the pending sign-in's ten minutes.
    expect((await usePasskey(c, auth)).headers.location).toBe('/');
  });

  it('refuses a response without user verification, from another origin, or with a counter gone backwards', async () => {
    const t = await start({ api: 'v2' });
    const auth = await aliceWithPasskey(t, { counter: 5, counterStep: 1 });
    const c = t.client();
    await passwordToPasskey(t, c);
    auth.settings.userVerified = false;
    expect((await usePasskey(c, auth)).statusCode).toBe(401);
    auth.settings.userVerified = true;
    auth.settings.origin = 'https://evil.example';
    expect((await usePasskey(c, auth)).statusCode).toBe(401);
    auth.settings.origin = 'http://localhost:3000';
    expect((await usePasskey(c, auth)).headers.location).toBe('/'); // counter 8 > 5
    const [{ counter }] = await t.sql('SELECT counter FROM passkeys');
    expect(Number(counter)).toBe(8);

    const d = t.client();
    await passwordToPasskey(t, d);
    auth.settings.counter = 3; // a cloned authenticator
    expect((await usePasskey(d, auth)).statusCode).toBe(401);
    expect(await isSignedIn(d)).toBe(false);
    const reasons = await failures(t);
    expect(reasons).toHaveLength(3);
    expect(reasons[0]).toBe('sign-in user-verification');
    expect(reasons[2]).toBe('sign-in counter');
  });

  it('counts failed assertions against the account’s code budget: then 429 with Retry-After, the right passkey too', async () => {
    const t = await start({ api: 'v2' });
    const auth = await aliceWithPasskey(t);
    const c = t.client();
    await passwordToPasskey(t, c);
    const impostor = softAuthenticator();
    let status = 401;
    let tries = 0;
    while (status === 401 && tries < 20) {
      const options = (await c.post(`${PASSKEY_STEP}/options`, {}, { accept: 'application/json' })).json();
      const answer = auth.assert(options) as { response: { signature: string } };
      answer.response.signature = (impostor.assert(options) as { response: { signature: string } }).response.signature;
      status = (await c.post(PASSKEY_STEP, { response: JSON.stringify(answer) })).statusCode;
      tries += 1;
    }
    expect(status).toBe(429);
    expect(tries).toBeGreaterThan(3);
    const right = await usePasskey(c, auth);
    expect(right.statusCode).toBe(429);
    expect(right.headers['retry-after']).toBeDefined();
    expect(await isSignedIn(c)).toBe(false);
    expect((await auditRows(t)).some((row) => row.event === 'code-throttled')).toBe(true);
  });

  it('"Send a code instead" starts the Verify request, and the code signs in', async () => {
    const t = await start({ api: 'v2' });
    await aliceWithPasskey(t);
    const c = t.client();
    await passwordToPasskey(t, c);
    const sent = t.sim.sent.length;
    const sms = await c.post(`${PASSKEY_STEP}/sms`);
    expect(sms.statusCode).toBe(303);
    expect(sms.headers.location).toBe('/login/code');
    expect(t.sim.sent).toHaveLength(sent + 1);
    // Pressed again (a second tab): no second SMS.
    expect((await c.post(`${PASSKEY_STEP}/sms`)).headers.location).toBe('/login/code');
    expect(t.sim.sent).toHaveLength(sent + 1);
    const page = await c.get('/login/code');
    expect(page.statusCode).toBe(200);
    const done = await c.post('/login/code', { code: t.sim.lastCode(ALICE.phone) as string });
    expect(done.headers.location).toBe('/');
    expect(await isSignedIn(c)).toBe(true);
  });

  it('answers bad input with a 4xx and a clear page, never a 5xx', async () => {
    const t = await start({ api: 'v2' });
    await aliceWithPasskey(t);
    const c = t.client();
    await passwordToPasskey(t, c);
    const empty = await c.post(PASSKEY_STEP, {});
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('Your browser sent no passkey');
    const notJson = await c.post(PASSKEY_STEP, { response: '{not json' });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.body).toContain('not a passkey answer');
    expect((await c.post(PASSKEY_STEP, { response: JSON.stringify({ id: 42, response: null }) })).statusCode).toBe(400);
    expect((await c.post(PASSKEY_STEP, { response: 'x'.repeat(13 * 1024) })).statusCode).toBe(400);
    expect((await c.post(PASSKEY_STEP, { response: 'x'.repeat(20 * 1024) })).statusCode).toBe(413);
    // Options while not signing in: JSON saying so.
    const stranger = t.client();
    const refused = await stranger.post(`${PASSKEY_STEP}/options`, {}, { accept: 'application/json' });
    expect(refused.statusCode).toBe(401);
    expect(refused.json().error).toContain('Sign in again');
    expect((await stranger.get(PASSKEY_STEP)).headers.location).toBe('/login');
    expect((await stranger.post(PASSKEY_STEP, { response: '{}' })).headers.location).toBe('/login');
  });

  it('"Send a code instead" with Verify down: a 503 passkey page, nothing spent, and it can be pressed again at once', async () => {
    const t = await start({ api: 'v2' });
    await aliceWithPasskey(t);
    const c = t.client();
    await passwordToPasskey(t, c);
    t.sim.setFailureMode('down');
    const failed = await c.post(`${PASSKEY_STEP}/sms`);
    expect(failed.statusCode).toBe(503);
    expect(failed.headers['retry-after']).toBe('5');
    expect(failed.body).toContain('Use your passkey');
    t.sim.setFailureMode('normal');
    const retried = await c.post(`${PASSKEY_STEP}/sms`);
    expect(retried.statusCode).toBe(303); // no cooldown from a send that sent nothing
    expect(retried.headers.location).toBe('/login/code');
  });

  it('takes a recovery code at the passkey step with no SMS ever sent', async () => {
    const t = await start({ api: 'v2' });
    const { c: c0, codes } = await firstSignIn(t);
    await addPasskey(c0);
    await c0.post('/logout');

    const sent = t.sim.sent.length;
    const c = t.client();
    await passwordToPasskey(t, c);
    const short = await c.post('/login/code', { code: '123456' });
    expect(short.statusCode).toBe(400);
    expect(short.body).toContain('Use your passkey');
    const wrong = await c.post('/login/code', { code: '1111 2222 3333 4444' });
    expect(wrong.statusCode).toBe(401);
    // The message sits with the recovery code's field, under its heading, and is tied to it.
    for (const page of [short.body, wrong.body]) {
      expect(page).toMatch(/<h2>Lost your devices\?<\/h2>\s*<p class="error" id="recovery-code-error" role="alert">[^<]+<\/p>\s*<form method="post" action="\/login\/code">/);
      expect(page).toMatch(/id="recovery-code"[^>]*aria-describedby="recovery-code-error recovery-code-hint" aria-invalid="true"/);
      expect(page.match(/class="error"[^>]*role="alert">[^<]/g)).toHaveLength(1); // once, not also at the top
    }
    const used = await c.post('/login/code', { code: codes[0] });
    expect(used.statusCode).toBe(303);
    expect(used.headers.location).toBe('/');
    expect(await isSignedIn(c)).toBe(true);
    expect(t.sim.sent).toHaveLength(sent);
  });

  it('of two parallel posts of one response on one session, exactly one signs in, and its session stays', async () => {
    const t = await start({ api: 'v2' });
    const auth = await aliceWithPasskey(t);
    const c = t.client();
    await passwordToPasskey(t, c);
    const response = await assertionFor(c, auth);
    const cookies = c.jar.cookiesFor('http://localhost/login/passkey');
    const page = await c.get(PASSKEY_STEP);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] as string;
    const post = () =>
      t.app.inject({
        method: 'POST',
        url: PASSKEY_STEP,
        cookies,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ _csrf: csrf, response }).toString(),
      });
    const answers = await Promise.all([post(), post()]);
    const signedIn = answers.filter((a) => a.statusCode === 303 && a.headers.location === '/' && a.cookies.some((k) => k.value !== ''));
    expect(signedIn).toHaveLength(1);
    const winner = signedIn[0].cookies.filter((k) => k.value !== '').map((k) => `${k.name}=${k.value}`);
    const home = await t.app.inject({ method: 'GET', url: '/', headers: { cookie: winner.join('; ') } });
    expect(home.statusCode).toBe(200);
    expect((await auditRows(t)).filter((row) => row.event === 'passkey-used')).toHaveLength(1);
  });

  it('a passkey and a recovery code posted at once on one sign-in: one signs in, its session stays, and a code not needed is not spent', async () => {
    const t = await start({ api: 'v2' });
    const { c: c0, codes } = await firstSignIn(t);
    const auth = await addPasskey(c0);
    await c0.post('/logout');
    const c = t.client();
    await passwordToPasskey(t, c);
    const response = await assertionFor(c, auth);
    const cookies = c.jar.cookiesFor('http://localhost/login/passkey');
    const csrf = /name="_csrf" value="([^"]+)"/.exec((await c.get(PASSKEY_STEP)).body)?.[1] as string;
    const post = (url: string, fields: Record<string, string>) =>
      t.app.inject({
        method: 'POST',
        url,
        cookies,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ _csrf: csrf, ...fields }).toString(),
      });
    const answers = await Promise.all([post(PASSKEY_STEP, { response }), post('/login/code', { code: codes[0] })]);
    const signedIn = answers.filter((a) => a.headers.location === '/' && a.cookies.some((k) => k.value !== ''));
    expect(signedIn).toHaveLength(1);
    const winner = signedIn[0].cookies.filter((k) => k.value !== '').map((k) => `${k.name}=${k.value}`);
    expect((await t.app.inject({ method: 'GET', url: '/', headers: { cookie: winner.join('; ') } })).statusCode).toBe(200);
    const used = (await auditRows(t)).filter((row) => row.event === 'recovery-code-used' || row.event === 'passkey-used');
    expect(used).toHaveLength(1);
    const [{ spent }] = await t.sql('SELECT count(*) AS spent FROM recovery_codes WHERE used_at IS NOT NULL');
    expect(Number(spent)).toBe(used[0].event === 'recovery-code-used' ? 1 : 0);
  });

  it('keeps remembered browsers working as today: no passkey asked', async () => {
    const t = await start({ api: 'v2' });
    const c = t.client();
    await c.post('/login', { email: ALICE.email, password: ALICE.password });
    await c.get('/login/code');
    await c.post('/login/code', { code: t.sim.lastCode(ALICE.phone) as string, remember: '1' });
    await addPasskey(c);
    await c.post('/logout');
    await c.get('/login');
    const again = await c.post('/login', { email: ALICE.email, password: ALICE.password });
    expect(again.headers.location).toBe('/');
  });
});
