// The recent sign-in check (ASVS 7.5.1): a sensitive action more than STEP_UP_MINUTES after the
// full sign-in or the last confirmation answers 303 /account/confirm, which asks the password
// (under the sign-in's password budget), then a code, and sends the browser back to the action's
// page. "Sign out all other browsers" (and ending one other browser) stands for every sensitive action here; the recovery-code
// renewal has its own tests (recovery-codes-renewal.test.ts).
import { describe, expect, it } from 'vitest';
import { ALICE, useTestApps } from '../helpers/test-app.ts';
import type { TestApp, TestClient } from '../helpers/test-app.ts';
import { auditCount, auditRows } from '../helpers/audit.ts';
import { CONFIRM, PAST_STEP_UP_MS, confirmPassword, later, wrongCodeFor } from '../helpers/confirm.ts';

const SESSIONS = '/account/sessions';
const END_OTHERS = '/account/sessions/end-others';

async function signedIn(t: TestApp): Promise<TestClient> {
  const c = t.client();
  expect((await c.signIn(t.sim)).statusCode).toBe(303);
  await c.get(SESSIONS);
  return c;
}
const isSignedIn = async (c: TestClient) => (await c.get('/')).statusCode === 200;

describe('the recent sign-in check', () => {
  const start = useTestApps();

  it('a fresh sign-in ends other sessions at once; after STEP_UP_MINUTES it asks the password and a code first, then comes back to the page', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    const other = await signedIn(t);
    await later(t, PAST_STEP_UP_MS);

    const asked = await c.post(END_OTHERS);
    expect(asked.statusCode).toBe(303);
    expect(asked.headers.location).toBe(CONFIRM);
    expect(await isSignedIn(other)).toBe(true); // not done
    const form = await c.get(CONFIRM);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('name="password"');
    expect(form.body).not.toContain('name="code"');

    const sentBefore = t.sim.sent.length;
    const before = c.sessionId();
    const code = await confirmPassword(t, c);
    expect(t.sim.sent).toHaveLength(sentBefore + 1);
    const codePage = await c.get(CONFIRM);
    expect(codePage.body).toContain('name="code"');
    expect(codePage.body).not.toContain(t.sim.sent.at(-1)?.requestId);
    const done = await c.post(CONFIRM, { code });
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe(SESSIONS); // the form's page, not the POST replayed
    expect(c.sessionId()).not.toBe(before); // a new session ID, as after any privilege change
    expect(await isSignedIn(other)).toBe(true);

    await c.get(SESSIONS);
    const ended = await c.post(END_OTHERS);
    expect(ended.headers.location).toBe(SESSIONS);
    expect(await isSignedIn(other)).toBe(false);
    expect(await isSignedIn(c)).toBe(true);

    const events = (await auditRows(t)).map((row) => [row.event, row.detail]);
    expect(events).toContainEqual(['password-ok', 'step-up']);
    expect(events).toContainEqual(['code-sent', 'step-up']);
    expect(events).toContainEqual(['step-up-confirmed', null]);
    expect(t.logs.join('\n')).not.toContain(code);
    expect(t.logs.join('\n')).not.toContain(t.sim.sent.at(-1)?.requestId);

    // The confirmation is recent for STEP_UP_MINUTES too, then asked again.
    await later(t, PAST_STEP_UP_MS);
    await c.get(SESSIONS);
    expect((await c.post(END_OTHERS)).headers.location).toBe(CONFIRM);
  });

  it('ending one other browser by its handle is as sensitive: after STEP_UP_MINUTES it asks for a confirmation first, and that browser stays in', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    const other = await signedIn(t);
    // A stale session (a cookie taken from a shared computer, say) must not sign the owner out of
    // their browsers one by one where "Sign out all other browsers" would ask first.
    await later(t, PAST_STEP_UP_MS);
    const page = await c.get(SESSIONS);
    const handle = /name="session" value="([^"]+)"/.exec(page.body)?.[1] as string;
    const asked = await c.post(`${SESSIONS}/end`, { session: handle });
    expect(asked.statusCode).toBe(303);
    expect(asked.headers.location).toBe(CONFIRM);
    expect(await isSignedIn(other)).toBe(true);
    expect(await auditCount(t, 'session-revoked')).toBe(0);

    const code = await confirmPassword(t, c);
    expect((await c.post(CONFIRM, { code })).headers.location).toBe(SESSIONS);
    await c.get(SESSIONS);
    expect((await c.post(`${SESSIONS}/end`, { session: handle })).headers.location).toBe(SESSIONS);
    expect(await isSignedIn(other)).toBe(false);
    expect(await isSignedIn(c)).toBe(true);
  });

  it('STEP_UP_MINUTES sets how recent is recent', async () => {
    const t = await start({ api: 'legacy', env: { STEP_UP_MINUTES: '2' } });
    const c = await signedIn(t);
    await later(t, 110_000);
    expect((await c.post(END_OTHERS)).headers.location).toBe(SESSIONS);
    await later(t, 20_000);
    await c.get(SESSIONS);
    expect((await c.post(END_OTHERS)).headers.location).toBe(CONFIRM);
  });

  it('wrong passwords count against the sign-in’s password budget: 429 with Retry-After, at /login too', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    await later(t, PAST_STEP_UP_MS);
    await c.get(CONFIRM);
    const sentBefore = t.sim.sent.length;
    for (let i = 0; i < 5; i++) {
      const wrong = await c.post(CONFIRM, { password: `wrong ${i}` });
      expect(wrong.statusCode).toBe(401);
      expect(wrong.body).toContain('That password is not right.');
    }
    const throttled = await c.post(CONFIRM, { password: ALICE.password });
    expect(throttled.statusCode).toBe(429);
    expect(throttled.headers['retry-after']).toMatch(/^\d+$/);
    expect(t.sim.sent).toHaveLength(sentBefore);
    // The same budget as this browser's sign-in (its device key): the password page refuses too.
    expect((await c.post('/login', { email: ALICE.email, password: ALICE.password })).statusCode).toBe(429);
    expect((await auditRows(t)).filter((row) => row.event === 'password-failed').map((row) => row.detail)).toEqual(Array(5).fill('step-up'));
  });

  it('a wrong code answers 401 and confirms nothing; a recovery code or a code before the password answers 400', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    await later(t, PAST_STEP_UP_MS);
    await c.get(CONFIRM);
    expect((await c.post(CONFIRM, { code: '123456' })).statusCode).toBe(400); // no code sent yet
    const code = await confirmPassword(t, c);
    const wrong = await c.post(CONFIRM, { code: wrongCodeFor(code) });
    expect(wrong.statusCode).toBe(401);
    // Each message sits beside the form it is about: the wrong code's above the code field...
    const codeFormAt = (body: string) => body.indexOf('<label for="code">');
    const passwordFormAt = (body: string) => body.indexOf('<label for="password">');
    const errorAt = (body: string) => body.indexOf('id="confirm-error"');
    expect(errorAt(wrong.body)).toBeGreaterThan(-1);
    expect(errorAt(wrong.body)).toBeLessThan(codeFormAt(wrong.body));
    expect(wrong.body).toMatch(/id="code"[^>]*aria-describedby="confirm-error"/);
    // ...and a wrong password's (the resend form, below it) beside the password field.
    const wrongPassword = await c.post(CONFIRM, { password: 'not the password' });
    expect(wrongPassword.statusCode).toBe(401);
    expect(errorAt(wrongPassword.body)).toBeGreaterThan(codeFormAt(wrongPassword.body));
    expect(errorAt(wrongPassword.body)).toBeLessThan(passwordFormAt(wrongPassword.body));
    expect(wrongPassword.body).toMatch(/id="password"[^>]*aria-describedby="confirm-error"/);
    expect((await c.post(CONFIRM, { code: '1234 5678 9012 3456' })).statusCode).toBe(400);
    await c.get(SESSIONS);
    expect((await c.post(END_OTHERS)).headers.location).toBe(CONFIRM);
    expect(await auditCount(t, 'step-up-confirmed')).toBe(0);
    expect((await auditRows(t)).map((row) => [row.event, row.detail])).toContainEqual(['code-failed', 'step-up wrong-code']);
  });

  it('the password again while a code is under way sends it again after the resend cooldown, not before', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    await later(t, PAST_STEP_UP_MS);
    await confirmPassword(t, c);
    const sentBefore = t.sim.sent.length;
    const tooSoon = await c.post(CONFIRM, { password: ALICE.password });
    expect(tooSoon.statusCode).toBe(429);
    expect(tooSoon.headers['retry-after']).toMatch(/^\d+$/);
    expect(t.sim.sent).toHaveLength(sentBefore);
    await later(t, 31_000);
    const again = await c.post(CONFIRM, { password: ALICE.password });
    expect(again.headers.location).toBe(CONFIRM);
    expect(t.sim.sent).toHaveLength(sentBefore + 1);
    await c.get(CONFIRM);
    expect((await c.post(CONFIRM, { code: t.sim.lastCode(ALICE.phone) as string })).headers.location).toBe('/');
    expect(await auditCount(t, 'step-up-confirmed')).toBe(1);
  });

  it('the same right code sent twice at once confirms once, and nothing answers 5xx', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    await later(t, PAST_STEP_UP_MS);
    await c.post(END_OTHERS);
    const code = await confirmPassword(t, c);
    const answers = await Promise.all([c.post(CONFIRM, { code }), c.post(CONFIRM, { code })]);
    expect(answers.map((res) => res.statusCode).every((status) => status < 500)).toBe(true);
    expect(answers.filter((res) => res.headers.location === SESSIONS)).toHaveLength(1);
    expect(await auditCount(t, 'step-up-confirmed')).toBe(1);
  });

  it('refuses a confirmation without the CSRF token (403)', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    await later(t, PAST_STEP_UP_MS);
    const cookies = c.jar.cookiesFor('http://localhost/account/confirm');
    const forged = await t.app.inject({ method: 'POST', url: CONFIRM, cookies, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `password=${encodeURIComponent(ALICE.password)}` });
    expect(forged.statusCode).toBe(403);
    const forgedEnd = await t.app.inject({ method: 'POST', url: END_OTHERS, cookies, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: '_csrf=wrong' });
    expect(forgedEnd.statusCode).toBe(403);
    expect(await auditCount(t, 'password-ok')).toBe(1); // the sign-in's only
  });

  it('a confirmation under way does not outlive "sign out all other browsers" from another browser', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    await later(t, PAST_STEP_UP_MS);
    const code = await confirmPassword(t, c);
    const other = await signedIn(t); // fresh: ends the others at once
    expect((await other.post(END_OTHERS)).headers.location).toBe(SESSIONS);
    const late = await c.post(CONFIRM, { code });
    expect(late.statusCode).toBe(303);
    expect(late.headers.location).toBe('/login');
    expect(await isSignedIn(c)).toBe(false);
    expect(await auditCount(t, 'step-up-confirmed')).toBe(0);
  });

  it('the confirm page is behind the sign-in gate', async () => {
    const t = await start({ api: 'v2' });
    const c = t.client();
    expect((await c.get(CONFIRM)).headers.location).toBe('/login');
  });
});
