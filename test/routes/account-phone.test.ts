// Changing the phone (/account/phone, issue 18) through HTTP, with the real Vonage SDK against the
// simulator: behind the recent sign-in check; the new number checked before any Verify request; a
// code sent to the NEW number under the sign-in's send budgets; only the right code stores it, in
// one step that ends the other sessions and forgets remembered browsers; races have one winner.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runLimitsCommand } from '../../src/commands/limits.ts';
import { backendEnv } from '../helpers/test-backend.ts';
import { runCommand } from '../helpers/run-command.ts';
import { ALICE, useTestApps } from '../helpers/test-app.ts';
import type { TestApp, TestClient } from '../helpers/test-app.ts';
import { auditCount, auditRows } from '../helpers/audit.ts';
import { CONFIRM, PAST_STEP_UP_MS, confirm, later, wrongCodeFor } from '../helpers/confirm.ts';
import { rememberedRows, signInWithCode, verifyStarts } from '../helpers/remembering.ts';
import { seedAccount } from '../helpers/seeded-account.ts';

const PAGE = '/account/phone';
/** An Irish mobile: valid and mobile in libphonenumber-js's metadata (Alice's seeded +1 555 is neither). */
const NEW_PHONE = '+353851234567';
const NEW_MASKED = '+353 •• ••• 4567';
const OTHER_PHONE = '+447911123456';

async function signedIn(t: TestApp): Promise<TestClient> {
  const c = t.client();
  expect((await c.signIn(t.sim)).statusCode).toBe(303);
  return c;
}
const phoneInDb = async (t: TestApp) => (await t.sql('SELECT phone FROM users WHERE email = $1', [ALICE.email]))[0].phone;
const isSignedIn = async (c: TestClient) => (await c.get('/')).statusCode === 200;

/** On the phone page: the new number typed, so a code went to it. Returns that code. */
async function startChange(t: TestApp, c: TestClient, typed = NEW_PHONE, to = NEW_PHONE): Promise<string> {
  await c.get(PAGE);
  const sent = await c.post(PAGE, { phone: typed });
  expect(sent.statusCode).toBe(303);
  expect(sent.headers.location).toBe(PAGE);
  return t.sim.lastCode(to) as string;
}

describe('changing the phone', () => {
  const start = useTestApps();

  it('sends a code to the new number and stores it only with the right code: other sessions end, remembered browsers are forgotten, this session stays', async () => {
    const t = await start({ api: 'v2' });
    const other = t.client();
    await signInWithCode(t, other); // ticks "Remember this browser"
    expect(await rememberedRows(t)).toHaveLength(1);
    const c = await signedIn(t);

    const form = await c.get(PAGE);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('name="phone"');
    expect(form.body).toContain('+1 ••• ••• 0100');
    const code = await startChange(t, c, '00353 (85) 123-4567'); // as a person types it
    expect(t.sim.sent.at(-1)).toMatchObject({ to: '353851234567', channel: 'sms' });
    const page = await c.get(PAGE);
    expect(page.body).toContain(`We sent a 6-digit code by SMS to your new number, <strong class="phone">${NEW_MASKED}</strong>.`);
    expect(page.body).not.toContain(NEW_PHONE);
    expect(page.body).not.toContain('851234567');
    expect(page.body).not.toContain(t.sim.sent.at(-1)?.requestId);

    const wrong = await c.post(PAGE, { code: wrongCodeFor(code) });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).toContain('That code isn&#39;t right.');
    expect(await phoneInDb(t)).toBe(ALICE.phone); // the old phone kept

    const before = c.sessionId();
    const done = await c.post(PAGE, { code });
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe('/');
    expect(await phoneInDb(t)).toBe(NEW_PHONE);
    expect(c.sessionId()).not.toBe(before);
    const home = await c.get('/');
    expect(home.statusCode).toBe(200); // this session stays signed in, under the new epoch
    expect(home.body).toContain(NEW_MASKED); // at once, not after the account cache's seconds
    expect(home.body).toContain('Your phone number has been changed.');
    expect(await isSignedIn(other)).toBe(false);
    expect((await other.get('/')).headers.location).toBe('/login');
    expect(await rememberedRows(t)).toEqual([]);

    const events = (await auditRows(t)).map((row) => [row.event, row.detail]);
    expect(events).toContainEqual(['code-sent', 'phone-change']);
    expect(events).toContainEqual(['phone-change-started', '+353']);
    expect(events).toContainEqual(['phone-change-failed', 'wrong-code']);
    expect(events).toContainEqual(['phone-changed', '+353 other-sessions-ended 1']);
    const everything = `${t.logs.join('\n')}\n${JSON.stringify(await auditRows(t))}`;
    expect(everything).not.toContain('851234567');
    expect(everything).not.toContain(code);
    for (const sent of t.sim.sent) expect(everything).not.toContain(sent.requestId);

    // The next sign-in's code goes to the new phone.
    await c.post('/logout');
    const again = t.client();
    await again.post('/login', { email: ALICE.email, password: ALICE.password });
    expect(t.sim.sent.at(-1)).toMatchObject({ to: '353851234567' });
  });

  it('on legacy too, and with an email-first VERIFY_WORKFLOW on v2 the code still goes to the phone', async () => {
    const legacy = await start({ api: 'legacy' });
    const c = await signedIn(legacy);
    const code = await startChange(legacy, c);
    expect((await c.post(PAGE, { code })).headers.location).toBe('/');
    expect(await phoneInDb(legacy)).toBe(NEW_PHONE);

    const t = await start({ api: 'v2', env: { VERIFY_WORKFLOW: 'email,sms' } });
    const d = t.client();
    await d.post('/login', { email: ALICE.email, password: ALICE.password });
    await d.get('/login/code');
    expect((await d.post('/login/code', { code: t.sim.lastCode(ALICE.email) as string })).statusCode).toBe(303);
    await startChange(t, d);
    expect(t.sim.sent.at(-1)).toMatchObject({ to: '353851234567', channel: 'sms' });
    expect(t.sim.requests.at(-1)?.body).toMatchObject({ workflow: [{ channel: 'sms', to: '353851234567' }] });
    expect((await d.get(PAGE)).body).toContain('by SMS to your new number');
  });

  it('with codes by email only, no number can be confirmed: 409 and no Verify request', async () => {
    const t = await start({ api: 'v2', env: { VERIFY_WORKFLOW: 'email' } });
    const c = t.client();
    await c.post('/login', { email: ALICE.email, password: ALICE.password });
    await c.get('/login/code');
    expect((await c.post('/login/code', { code: t.sim.lastCode(ALICE.email) as string })).statusCode).toBe(303);
    await c.get(PAGE);
    const sentBefore = verifyStarts(t);
    const refused = await c.post(PAGE, { phone: NEW_PHONE });
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain('Codes are sent only by email here');
    expect(verifyStarts(t)).toBe(sentBefore);
  });

  it('after STEP_UP_MINUTES the page and its form ask the password and a code first, then come back to the page', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    await c.get(PAGE);
    await later(t, PAST_STEP_UP_MS);
    const sentBefore = verifyStarts(t);
    const refused = await c.post(PAGE, { phone: NEW_PHONE });
    expect(refused.statusCode).toBe(303);
    expect(refused.headers.location).toBe(CONFIRM);
    expect(verifyStarts(t)).toBe(sentBefore); // no code went to the new number
    const asked = await c.get(PAGE);
    expect(asked.headers.location).toBe(CONFIRM);
    expect(await confirm(t, c)).toBe(PAGE);
    const code = await startChange(t, c);
    expect((await c.post(PAGE, { code })).headers.location).toBe('/');
    expect(await phoneInDb(t)).toBe(NEW_PHONE);
  });

  it('refuses what is not a new mobile number with 400 and the form, before any Verify request', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    await c.get(PAGE);
    const sentBefore = verifyStarts(t);
    const cases: Array<[string, string]> = [
      ['', 'Enter your new phone number.'],
      ['   ', 'Enter your new phone number.'],
      ['call me', 'digits, spaces and dashes only'],
      ['+353851234567 ext 5', 'digits, spaces and dashes only'],
      ['12', 'not a valid phone number'],
      ['+1 555 555 0199', 'not a valid phone number'],
      ['+999 123 4567', 'not a valid phone number'],
      ['+353 85 123 45678', 'not a valid phone number'],
      ['+1 800 555 0100', 'can’t receive text messages'], // toll-free
      ['+353 1 234 5678', 'can’t receive text messages'], // a Dublin landline
      ['+1 (555) 555-0100', 'That is already your phone number.'],
    ];
    for (const [phone, message] of cases) {
      const res = await c.post(PAGE, { phone });
      expect(res.statusCode, phone).toBe(400);
      expect(res.body, phone).toContain(message);
      expect(res.body, phone).toContain('name="phone"');
      // The number comes back in the field to be corrected, and the message is tied to it.
      expect(res.body, phone).toContain(`value="${phone}"`);
      expect(res.body, phone).toMatch(/<p class="error" id="phone-error" role="alert">[^<]+<\/p>\s*<form method="post" action="\/account\/phone">/);
      expect(res.body, phone).toContain('aria-describedby="phone-error phone-hint" aria-invalid="true"');
    }
    expect((await c.post(PAGE, { phone: '1'.repeat(65) })).statusCode).toBe(400); // the schema's own limit
    expect((await c.post(PAGE, {})).statusCode).toBe(400);
    expect(verifyStarts(t)).toBe(sentBefore);
    expect(await phoneInDb(t)).toBe(ALICE.phone);
  });

  it('refuses a number outside VERIFY_ALLOWED_COUNTRIES (403) with no Verify request, audited by calling code only', async () => {
    const t = await start({ api: 'v2', env: { VERIFY_ALLOWED_COUNTRIES: '1,44' } });
    const c = await signedIn(t);
    await c.get(PAGE);
    const sentBefore = verifyStarts(t);
    const refused = await c.post(PAGE, { phone: NEW_PHONE });
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain('(+353)');
    expect(verifyStarts(t)).toBe(sentBefore);
    expect((await auditRows(t)).map((row) => [row.event, row.detail])).toContainEqual(['code-send-refused-country', 'phone-change +353']);
    await startChange(t, c, OTHER_PHONE); // +44 is served
    expect(t.sim.sent.at(-1)?.to).toBe('447911123456');
  });

  it('applies the new phone’s send budget: 429 with Retry-After and no Verify request once it is spent', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    // Five codes went to that number this hour (other accounts' sign-ins, say).
    for (let i = 0; i < 5; i++) expect((await t.app.limits.consume(['send-phone-hour', NEW_PHONE])).ok).toBe(true);
    await c.get(PAGE);
    const sentBefore = verifyStarts(t);
    const throttled = await c.post(PAGE, { phone: NEW_PHONE });
    expect(throttled.statusCode).toBe(429);
    expect(throttled.headers['retry-after']).toMatch(/^\d+$/);
    expect(throttled.body).toContain('Too many codes have been sent');
    expect(verifyStarts(t)).toBe(sentBefore);
    await startChange(t, c, OTHER_PHONE); // another number's budget is its own
  });

  it('never takes over a Verify request already running to the new number (another account’s sign-in): 409, and that code still signs its owner in', async () => {
    const t = await start({ api: 'v2' });
    const owner = { email: 'owner@example.com', phone: NEW_PHONE, password: 'the owner of that number' };
    await seedAccount(t, owner);
    const theirs = t.client();
    expect((await theirs.post('/login', { email: owner.email, password: owner.password })).headers.location).toBe('/login/code');
    const theirCode = t.sim.lastCode(NEW_PHONE) as string;

    // Alice types that number as her new one: Vonage answers "concurrent" with the running
    // request's ID, which is not hers to check guesses against or to cancel.
    const c = await signedIn(t);
    await c.get(PAGE);
    const sentBefore = t.sim.sent.length;
    const refused = await c.post(PAGE, { phone: NEW_PHONE });
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain('A code is already on its way to that number');
    expect(refused.body).not.toContain('name="code"');
    expect(t.sim.sent).toHaveLength(sentBefore);
    expect((await c.post(PAGE, { code: wrongCodeFor(theirCode) })).statusCode).toBe(400); // no change under way
    await c.post(`${PAGE}/cancel`);

    await theirs.get('/login/code');
    const done = await theirs.post('/login/code', { code: theirCode });
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).not.toMatch(/^\/login/);
    expect(await phoneInDb(t)).toBe(ALICE.phone);
  });

  it('a change whose Verify request the number’s own sign-in took over lets it be: no guess and no cancel reach Vonage, and the owner signs in with that code', async () => {
    const t = await start({ api: 'v2' });
    const owner = { email: 'owner@example.com', phone: NEW_PHONE, password: 'the owner of that number' };
    await seedAccount(t, owner);
    // Alice starts a change to the owner's number first; then the owner signs in, and Vonage answers
    // "concurrent" with Alice's request, which the sign-in carries on with (its code is on the owner's phone).
    const c = await signedIn(t);
    const code = await startChange(t, c);
    const theirs = t.client();
    expect((await theirs.post('/login', { email: owner.email, password: owner.password })).headers.location).toBe('/login/code');
    expect(t.sim.lastCode(NEW_PHONE)).toBe(code);

    const callsBefore = t.sim.requests.length;
    const guess = await c.post(PAGE, { code: wrongCodeFor(code) });
    expect(guess.statusCode).toBe(409);
    expect(guess.body).toContain('has just started signing in with it');
    expect(guess.body).not.toContain('name="code"');
    await c.post(`${PAGE}/cancel`);
    expect(t.sim.requests).toHaveLength(callsBefore); // no check, no cancel of the owner's request
    expect((await auditRows(t)).map((row) => [row.event, row.detail])).toContainEqual(['phone-change-failed', 'taken-over-by-sign-in']);

    await theirs.get('/login/code');
    const done = await theirs.post('/login/code', { code });
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).not.toMatch(/^\/login/);
    expect(await phoneInDb(t)).toBe(ALICE.phone);
  });

  it('changes to a number never spend that number’s own sign-in budget: its owner still gets codes', async () => {
    const t = await start({ api: 'v2' });
    const owner = { email: 'owner@example.com', phone: NEW_PHONE, password: 'the owner of that number' };
    await seedAccount(t, owner);
    const ownerSignsIn = async () => {
      const theirs = t.client();
      const login = await theirs.post('/login', { email: owner.email, password: owner.password });
      expect(login.statusCode).toBe(303);
      expect(login.headers.location).toBe('/login/code');
      await theirs.get('/login/code');
      expect((await theirs.post('/login/code', { code: t.sim.lastCode(NEW_PHONE) as string })).headers.location).not.toMatch(/^\/login/);
    };
    await ownerSignsIn(); // one of the five codes an hour that number gets
    // Someone signed in types the owner's number as their new one, as often as their own budget allows.
    const c = await signedIn(t);
    for (let i = 0; i < 4; i++) {
      await startChange(t, c);
      await c.post(`${PAGE}/cancel`);
      await later(t, 31_000); // the resend cooldown
    }
    await c.get(PAGE);
    expect((await c.post(PAGE, { phone: NEW_PHONE })).statusCode).toBe(429); // their account's budget
    await ownerSignsIn();
  });

  it('Vonage down: a 503 page, nothing spent, and the same number can be tried again at once', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    await c.get(PAGE);
    t.sim.setFailureMode('down');
    expect((await c.post(PAGE, { phone: NEW_PHONE })).statusCode).toBe(503);
    t.sim.setFailureMode('normal');
    await startChange(t, c);
  });

  it('a recovery code, a malformed code or a code before any number answers 400; too many wrong codes start over', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    await c.get(PAGE);
    expect((await c.post(PAGE, { code: '1234' })).statusCode).toBe(400); // no code sent yet
    const code = await startChange(t, c);
    const recovery = await c.post(PAGE, { code: '1234 5678 9012 3456' });
    expect(recovery.statusCode).toBe(400);
    expect(recovery.body).toContain('A recovery code can’t confirm a new phone');
    expect((await c.post(PAGE, { code: '12ab' })).statusCode).toBe(400);
    const wrongs = [];
    for (let i = 0; i < 3; i++) wrongs.push(await c.post(PAGE, { code: wrongCodeFor(code) }));
    expect(wrongs.map((res) => res.statusCode)).toEqual([401, 401, 401]);
    expect(wrongs[2].body).toContain('Enter your new number again for a new code.');
    expect(wrongs[2].body).toContain('name="phone"'); // the change is over: the number form again
    expect((await c.post(PAGE, { code })).statusCode).toBe(400);
    expect(await phoneInDb(t)).toBe(ALICE.phone);
    expect(await auditCount(t, 'phone-changed')).toBe(0);
  });

  it('"Send a new code" after the cooldown goes to the new number again; "Use another number" starts over', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    await startChange(t, c);
    await c.get(PAGE);
    const tooSoon = await c.post(`${PAGE}/resend`);
    expect(tooSoon.statusCode).toBe(429);
    expect(tooSoon.headers['retry-after']).toMatch(/^\d+$/);
    await later(t, 31_000);
    const sentBefore = t.sim.sent.length;
    expect((await c.post(`${PAGE}/resend`)).headers.location).toBe(PAGE);
    expect(t.sim.sent).toHaveLength(sentBefore + 1);
    expect(t.sim.sent.at(-1)).toMatchObject({ to: '353851234567', channel: 'voice' });
    expect((await c.get(PAGE)).body).toContain(`We are calling your new number, <strong class="phone">${NEW_MASKED}</strong>`);

    expect((await c.post(`${PAGE}/cancel`)).headers.location).toBe(PAGE);
    expect((await c.get(PAGE)).body).toContain('name="phone"');
    const code = await startChange(t, c, OTHER_PHONE, OTHER_PHONE);
    expect((await c.post(PAGE, { code })).headers.location).toBe('/');
    expect(await phoneInDb(t)).toBe(OTHER_PHONE);
  });

  it('the right code sent twice at once changes the phone once, and nothing answers 5xx', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    const code = await startChange(t, c);
    await c.get(PAGE);
    const answers = await Promise.all([c.post(PAGE, { code }), c.post(PAGE, { code })]);
    expect(answers.map((res) => res.statusCode).every((status) => status < 500)).toBe(true);
    expect(answers.filter((res) => res.headers.location === '/')).toHaveLength(1);
    expect(await auditCount(t, 'phone-changed')).toBe(1);
    expect(await phoneInDb(t)).toBe(NEW_PHONE);
  });

  it('two browsers changing the phone at once: exactly one wins, the other gets a 409 page and is signed out', async () => {
    const t = await start({ api: 'v2' });
    const one = await signedIn(t);
    const two = await signedIn(t);
    const codeOne = await startChange(t, one, NEW_PHONE);
    const codeTwo = await startChange(t, two, OTHER_PHONE, OTHER_PHONE);
    await Promise.all([one.get(PAGE), two.get(PAGE)]);
    const [a, b] = await Promise.all([one.post(PAGE, { code: codeOne }), two.post(PAGE, { code: codeTwo })]);
    const won = [a, b].filter((res) => res.statusCode === 303 && res.headers.location === '/');
    const lost = [a, b].filter((res) => res.statusCode === 409);
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0].body).toContain('Your phone number was changed meanwhile');
    expect(await phoneInDb(t)).toBe(won[0] === a ? NEW_PHONE : OTHER_PHONE);
    expect(await auditCount(t, 'phone-changed')).toBe(1);
    expect((await auditRows(t)).map((row) => [row.event, row.detail])).toContainEqual(['phone-change-failed', 'changed-meanwhile']);
    expect(await isSignedIn(won[0] === a ? one : two)).toBe(true);
    expect(await isSignedIn(won[0] === a ? two : one)).toBe(false);
  });

  it('"Sign out all other browsers" landing between the code check and the store wins: the phone is not changed, this browser is out', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    const owner = await signedIn(t);
    const code = await startChange(t, c);
    await c.get(PAGE);
    await owner.get('/account/sessions');
    // The owner's press lands after this change read the account (its epoch still matched) and
    // before it stores the phone: the stores are the app's own, only the order is forced.
    const { accounts } = t.app;
    const changePhone = accounts.changePhone.bind(accounts);
    accounts.changePhone = async (...args) => {
      accounts.changePhone = changePhone;
      expect((await owner.post('/account/sessions/end-others')).headers.location).toBe('/account/sessions');
      return changePhone(...args);
    };
    const lost = await c.post(PAGE, { code });
    expect(lost.statusCode).toBe(409);
    expect(lost.body).toContain('This browser was signed out meanwhile');
    expect(lost.body).toContain('your phone number was not changed');
    expect(await phoneInDb(t)).toBe(ALICE.phone);
    expect(await auditCount(t, 'phone-changed')).toBe(0);
    expect((await auditRows(t)).map((row) => [row.event, row.detail])).toContainEqual(['phone-change-failed', 'signed-out-meanwhile']);
    expect(await isSignedIn(c)).toBe(false);
    expect(await isSignedIn(owner)).toBe(true);
  });

  it('a phone an admin changed meanwhile is not overwritten: the right code answers 409 and this browser stays signed in', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    const code = await startChange(t, c);
    await c.get(PAGE);
    await t.sql('UPDATE users SET phone = $1 WHERE email = $2', [OTHER_PHONE, ALICE.email]); // SQL: no epoch move
    const lost = await c.post(PAGE, { code });
    expect(lost.statusCode).toBe(409);
    expect(lost.body).toContain('Start again if you still want to change it.');
    expect(lost.body).toContain('+44 •••• ••3456'); // the phone as it is now
    expect(await phoneInDb(t)).toBe(OTHER_PHONE);
    expect(await isSignedIn(c)).toBe(true);
    expect(await auditCount(t, 'phone-changed')).toBe(0);
  });

  it('npm run limits -- --show reads the send budgets of the phone the account has now', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    const code = await startChange(t, c);
    expect((await c.post(PAGE, { code })).headers.location).toBe('/');
    // A sign-in's code to it (the change's own code counts against the number's budget for changes).
    await c.get('/');
    await c.post('/logout');
    await c.get('/login');
    await c.post('/login', { email: ALICE.email, password: ALICE.password });
    await c.get('/login/code');
    expect((await c.post('/login/code', { code: t.sim.lastCode(NEW_PHONE) as string })).headers.location).toBe('/');
    const shown = await runCommand(runLimitsCommand, ['--show', ALICE.email], await backendEnv(t.dir), resolve(import.meta.dirname, '../..'));
    expect(shown.code).toBe(0);
    const row = shown.stdout.split('\n').find((line) => line.startsWith('send-phone-hour '));
    expect(row).toContain(`phone ${NEW_MASKED}`);
    expect(row).toMatch(/ 1 of 5 /);
    expect(shown.stdout).not.toContain('851234567');
  });

  it('refuses a change without the CSRF token (403), and sends a visitor who is not signed in to /login', async () => {
    const t = await start({ api: 'v2' });
    const anonymous = t.client();
    expect((await anonymous.get(PAGE)).headers.location).toBe('/login');
    const c = await signedIn(t);
    await c.get(PAGE);
    expect((await c.post(PAGE, { phone: NEW_PHONE, _csrf: 'forged' })).statusCode).toBe(403);
    expect(verifyStarts(t)).toBe(1); // the sign-in's code only
  });
});
