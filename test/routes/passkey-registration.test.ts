// /account/passkeys (issue 16): the list, adding (options excluding the account's credentials, a
// real registration response checked by @simplewebauthn/server, at most 10, each credential once),
// removing (the last one puts the account back on SMS), both behind the recent sign-in check.
import { describe, expect, it } from 'vitest';
import { ALICE, useTestApps } from '../helpers/test-app.ts';
import type { TestApp, TestClient } from '../helpers/test-app.ts';
import { auditRows } from '../helpers/audit.ts';
import { PASSKEYS, addPasskey, optionsFrom, register, seedPasskey } from '../helpers/passkeys.ts';
import { softAuthenticator } from '../helpers/soft-authenticator.ts';
import { CONFIRM, PAST_STEP_UP_MS, later } from '../helpers/confirm.ts';

async function signedIn(t: TestApp): Promise<TestClient> {
  const c = t.client();
  expect((await c.signIn(t.sim)).statusCode).toBe(303);
  return c;
}
const idsOn = (body: string) => [...body.matchAll(/name="id" value="(\d+)"/g)].map((match) => match[1]);

describe('the passkeys page', () => {
  const start = useTestApps();

  it('adds a passkey under the name given (trimmed), lists it, and the next sign-in asks for it', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    const empty = await c.get(PASSKEYS);
    expect(empty.statusCode).toBe(200);
    expect(empty.body).toContain('You have no passkeys yet.');
    expect(empty.body).toContain('Add a passkey');
    expect(empty.body).toContain('<label for="passkey-name">Name (optional)</label>');
    expect(empty.body).toContain('data-recent="true"');

    const options = await optionsFrom(c, `${PASSKEYS}/options`);
    expect((options.authenticatorSelection as { userVerification: string }).userVerification).toBe('required');
    expect(options.attestation).toBe('none');
    expect((options.rp as { id: string }).id).toBe('localhost');
    const auth = softAuthenticator();
    const added = await c.post(PASSKEYS, { response: JSON.stringify(auth.register(options)), name: '  Work laptop  ' });
    expect(added.statusCode).toBe(303);
    const page = await c.get(PASSKEYS);
    expect(page.body).toContain('<h2 id="passkey-');
    expect(page.body).toContain('>Work laptop</h2>');
    expect(page.body).toContain('Passkey “Work laptop” added.');
    expect(page.body).toContain('never');
    expect(page.body).toContain('>Remove</button>');
    // "Remove" is described by the passkey's name and when it was added (two may share a name).
    const [, described] = /<button[^>]*aria-describedby="([^"]+)">Remove<\/button>/.exec(page.body) ?? [];
    const text = (id: string) => new RegExp(`id="${id}">(?:<time[^>]*>)?([^<]+)<`).exec(page.body)?.[1];
    expect(described?.split(' ').map(text)).toEqual(['Work laptop', expect.stringMatching(/\d{4}/)]);
    expect((await c.get(PASSKEYS)).body).not.toContain('added.'); // the notice once

    const [row] = await t.sql('SELECT name, credential_id FROM passkeys');
    expect(row.name).toBe('Work laptop');
    expect(row.credential_id).toBe(auth.credentialId);
    expect((await auditRows(t)).filter((r) => r.event === 'passkey-added')).toHaveLength(1);

    await c.post('/logout');
    await c.get('/login');
    expect((await c.post('/login', { email: ALICE.email, password: ALICE.password })).headers.location).toBe('/login/passkey');
  });

  it('names an unnamed passkey after the day, and refuses a name too long or with control characters', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    const long = await register(c, softAuthenticator(), 'x'.repeat(65));
    expect(long.statusCode).toBe(400);
    expect(long.body).toContain('at most 64 characters');
    const control = await register(c, softAuthenticator(), 'evil\u202eexe.txt');
    expect(control.statusCode).toBe(400);
    await addPasskey(c);
    const [row] = await t.sql('SELECT name FROM passkeys');
    expect(row.name).toMatch(/^Passkey added on \d{1,2} [A-Z][a-z]{2} \d{4}$/);
  });

  it('refuses a name that would list as blank or lie about its direction, and keeps 64 code points of emoji', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    // A zero-width space, a word joiner and a space, a variation selector: nothing to see.
    for (const invisible of ['\u200b', '\u2060 \u200b', '\ufe0f']) {
      const refused = await register(c, softAuthenticator(), invisible);
      expect(refused.statusCode, JSON.stringify(invisible)).toBe(400);
      expect(refused.body).toContain('needs a letter, digit or symbol you can see');
    }
    // Invisible right-to-left and Arabic letter marks, alone or flipping what follows; an isolate; a line separator.
    for (const lying of ['\u200f\u200f', '\u061c', 'Phone \u200fenoh', 'key\u2067gnp.exe', 'Phone\u2028Laptop']) {
      const refused = await register(c, softAuthenticator(), lying);
      expect(refused.statusCode, JSON.stringify(lying)).toBe(400);
      expect(refused.body).toContain('can’t contain control characters');
    }
    expect(await t.sql('SELECT id FROM passkeys')).toHaveLength(0);
    // 64 code points is the rule (not UTF-16 units): 64 emoji fit, and a family joined by ZWJs is a name.
    await addPasskey(c, {}, '😀'.repeat(64));
    await addPasskey(c, {}, '👨\u200d👩\u200d👧 Family iPad');
    expect((await register(c, softAuthenticator(), '😀'.repeat(65))).statusCode).toBe(400);
    expect((await t.sql('SELECT name FROM passkeys ORDER BY id')).map((row) => row.name)).toEqual(['😀'.repeat(64), '👨\u200d👩\u200d👧 Family iPad']);
  });

  it('of two registrations answering one challenge at once (two authenticators), one is added and the other refused', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    await c.get(PASSKEYS);
    const options = await optionsFrom(c, `${PASSKEYS}/options`);
    const [one, two] = [softAuthenticator().register(options), softAuthenticator().register(options)].map((r) => JSON.stringify(r));
    const answers = await Promise.all([c.post(PASSKEYS, { response: one }), c.post(PASSKEYS, { response: two })]);
    expect(answers.map((a) => a.statusCode).sort()).toEqual([303, 400]);
    expect(await t.sql('SELECT id FROM passkeys')).toHaveLength(1);
    expect((await auditRows(t)).filter((r) => r.event === 'passkey-failed').map((r) => r.detail)).toEqual(['register no-challenge']);
  });

  it('excludes the account’s passkeys in the options, and refuses the same credential twice', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    const auth = await addPasskey(c);
    const options = await optionsFrom(c, `${PASSKEYS}/options`);
    expect((options.excludeCredentials as { id: string }[]).map((credential) => credential.id)).toEqual([auth.credentialId]);
    // An authenticator that ignores the exclusion and answers with the same credential: the store refuses it.
    const again = await c.post(PASSKEYS, { response: JSON.stringify(auth.register(options)) });
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('registered already');
    expect(await t.sql('SELECT id FROM passkeys')).toHaveLength(1);
  });

  it('of two parallel posts of one registration, one adds it and the other is refused', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    await c.get(PASSKEYS);
    const options = await optionsFrom(c, `${PASSKEYS}/options`);
    const response = JSON.stringify(softAuthenticator().register(options));
    const answers = await Promise.all([c.post(PASSKEYS, { response }), c.post(PASSKEYS, { response })]);
    // The second finds the challenge answered already (or, were it checked, the credential taken).
    expect(answers.map((a) => a.statusCode).sort()).toEqual([303, 400]);
    expect(await t.sql('SELECT id FROM passkeys')).toHaveLength(1);
  });

  it('refuses a replayed registration, one to an expired challenge, and one from another origin', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    await c.get(PASSKEYS);
    const options = await optionsFrom(c, `${PASSKEYS}/options`);
    const phished = softAuthenticator({ origin: 'https://evil.example' });
    expect((await c.post(PASSKEYS, { response: JSON.stringify(phished.register(options)) })).statusCode).toBe(400);
    // The challenge is gone with that attempt.
    expect((await c.post(PASSKEYS, { response: JSON.stringify(softAuthenticator().register(options)) })).statusCode).toBe(400);

    const late = await optionsFrom(c, `${PASSKEYS}/options`);
    await later(t, 5 * 60_000 + 1000);
    const expired = await c.post(PASSKEYS, { response: JSON.stringify(softAuthenticator().register(late)) });
    expect(expired.statusCode).toBe(400);
    expect(expired.body).toContain('That took too long');
    expect(await t.sql('SELECT id FROM passkeys')).toHaveLength(0);
    const reasons = (await auditRows(t)).filter((r) => r.event === 'passkey-failed').map((r) => r.detail);
    expect(reasons).toEqual(['register origin', 'register no-challenge', 'register expired']);
  });

  it('holds at most 10: then the page says so instead of the button, and two last registrations racing add one', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    const other = await signedIn(t); // the same account in another browser
    for (let i = 0; i < 9; i += 1) await seedPasskey(t);
    await c.get(PASSKEYS);
    await other.get(PASSKEYS);
    const mine = await optionsFrom(c, `${PASSKEYS}/options`);
    const theirs = await optionsFrom(other, `${PASSKEYS}/options`);
    const answers = await Promise.all([
      c.post(PASSKEYS, { response: JSON.stringify(softAuthenticator().register(mine)) }),
      other.post(PASSKEYS, { response: JSON.stringify(softAuthenticator().register(theirs)) }),
    ]);
    expect(answers.map((a) => a.statusCode).sort()).toEqual([303, 409]);
    expect(answers.find((a) => a.statusCode === 409)?.body).toContain('the most an account can have');
    expect(await t.sql('SELECT id FROM passkeys')).toHaveLength(10);

    const page = await c.get(PASSKEYS);
    expect(idsOn(page.body)).toHaveLength(10);
    expect(page.body).not.toContain('Add a passkey');
    expect(page.body).toContain('You have 10 passkeys, the most an account can have.');
    const refused = await c.post(`${PASSKEYS}/options`, {}, { accept: 'application/json' });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error).toContain('the most an account can have');
  });

  it('"Sign out all other browsers" landing between the registration check and the store wins: no passkey is added, this browser is out', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    const owner = await signedIn(t);
    await owner.get('/account/sessions');
    await c.get(PASSKEYS);
    const options = await optionsFrom(c, `${PASSKEYS}/options`);
    // The owner's press lands after the gate let this session in and before the passkey is stored:
    // the stores are the app's own, only the order is forced.
    const { store } = t.app.passkeys;
    const add = store.add.bind(store);
    store.add = async (...args) => {
      store.add = add;
      expect((await owner.post('/account/sessions/end-others')).headers.location).toBe('/account/sessions');
      return add(...args);
    };
    const lost = await c.post(PASSKEYS, { response: JSON.stringify(softAuthenticator().register(options)) });
    expect(lost.statusCode).toBe(409);
    expect(lost.body).toContain('the passkey was not added');
    expect(await t.sql('SELECT id FROM passkeys')).toHaveLength(0);
    expect((await auditRows(t)).map((r) => [r.event, r.detail])).toContainEqual(['passkey-failed', 'register signed-out']);
    expect((await c.get('/')).headers.location).toBe('/login');
    expect((await owner.get('/')).statusCode).toBe(200);
  });

  it('removes a passkey; removing the last puts the account back on SMS codes', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    await addPasskey(c, {}, 'one');
    await addPasskey(c, {}, 'two');
    const ids = idsOn((await c.get(PASSKEYS)).body);
    expect(ids).toHaveLength(2);
    expect((await c.post(`${PASSKEYS}/remove`, { id: ids[0] })).headers.location).toBe(PASSKEYS);
    const after = await c.get(PASSKEYS);
    expect(after.body).toContain('Passkey removed.');
    expect(after.body).not.toContain('>one</h2>');
    // Someone else's id, or one gone already: nothing removed, no error page.
    expect((await c.post(`${PASSKEYS}/remove`, { id: ids[0] })).headers.location).toBe(PASSKEYS);
    expect((await c.get(PASSKEYS)).body).toContain('had been removed already');
    expect((await c.post(`${PASSKEYS}/remove`, { id: 'abc' })).statusCode).toBe(400);
    await c.post(`${PASSKEYS}/remove`, { id: ids[1] });
    expect((await c.get(PASSKEYS)).body).toContain('you sign in with a code by SMS again');
    expect((await auditRows(t)).filter((r) => r.event === 'passkey-removed')).toHaveLength(2);

    await c.post('/logout');
    await c.get('/login');
    const sent = t.sim.sent.length;
    expect((await c.post('/login', { email: ALICE.email, password: ALICE.password })).headers.location).toBe('/login/code');
    expect(t.sim.sent).toHaveLength(sent + 1);
  });

  it('asks for a recent sign-in before adding or removing, then comes back to this page', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    await addPasskey(c);
    const ids = idsOn((await c.get(PASSKEYS)).body);
    await later(t, PAST_STEP_UP_MS);

    const page = await c.get(PASSKEYS);
    expect(page.body).toContain('data-recent="false"');
    // The add button pressed: the script leaves it to the server, which asks for a confirmation.
    const add = await c.post(PASSKEYS, {});
    expect(add.statusCode).toBe(303);
    expect(add.headers.location).toBe(CONFIRM);
    const options = await c.post(`${PASSKEYS}/options`, {}, { accept: 'application/json' });
    expect(options.headers.location).toBe(CONFIRM);
    const remove = await c.post(`${PASSKEYS}/remove`, { id: ids[0] });
    expect(remove.headers.location).toBe(CONFIRM);
    expect(await t.sql('SELECT id FROM passkeys')).toHaveLength(1);

    // Alice has a passkey: the confirmation offers it; "Send a code instead" takes the code path.
    await c.get(CONFIRM);
    expect((await c.post(CONFIRM, { password: ALICE.password })).headers.location).toBe(CONFIRM);
    const choice = await c.get(CONFIRM);
    expect(choice.body).toContain('Use your passkey');
    expect(choice.body).toContain('Send a code instead');
    const sms = await c.post(`${CONFIRM}/sms`);
    expect(sms.headers.location).toBe(CONFIRM);
    const codePage = await c.get(CONFIRM);
    expect(codePage.body).toContain('name="code"');
    const done = await c.post(CONFIRM, { code: t.sim.lastCode(ALICE.phone) as string });
    expect(done.headers.location).toBe(PASSKEYS);
    expect((await c.get(PASSKEYS)).body).toContain('data-recent="true"');
    expect((await c.post(`${PASSKEYS}/remove`, { id: ids[0] })).headers.location).toBe(PASSKEYS);
    expect(await t.sql('SELECT id FROM passkeys')).toHaveLength(0);
  });

  it('a plain form post for options (no script) goes back to the page', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    await c.get(PASSKEYS);
    const plain = await c.post(`${PASSKEYS}/options`);
    expect(plain.statusCode).toBe(303);
    expect(plain.headers.location).toBe(PASSKEYS);
    expect((await c.post(PASSKEYS, {})).statusCode).toBe(400);
  });

  it('needs a sign-in, and a CSRF token on every post', async () => {
    const t = await start({ api: 'v2' });
    const anonymous = t.client();
    expect((await anonymous.get(PASSKEYS)).headers.location).toBe('/login');
    const c = await signedIn(t);
    await c.get(PASSKEYS);
    for (const url of [PASSKEYS, `${PASSKEYS}/options`, `${PASSKEYS}/remove`]) {
      const forged = await t.app.inject({
        method: 'POST',
        url,
        cookies: c.jar.cookiesFor(`http://localhost${url}`),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'id=1&response=x',
      });
      expect(forged.statusCode).toBe(403);
    }
  });

  it('confirms it is you with a passkey, once, and never with another account’s challenge', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    const auth = await addPasskey(c);
    await later(t, PAST_STEP_UP_MS);
    expect((await c.post(`${PASSKEYS}/remove`, { id: '1' })).headers.location).toBe(CONFIRM);
    // Not before the password.
    await c.get(CONFIRM);
    expect((await c.post(`${CONFIRM}/passkey/options`, {}, { accept: 'application/json' })).statusCode).toBe(409);
    const sent = t.sim.sent.length;
    await c.post(CONFIRM, { password: ALICE.password });
    expect(t.sim.sent).toHaveLength(sent); // no code until asked for
    await c.get(CONFIRM);
    const options = await optionsFrom(c, `${CONFIRM}/passkey/options`);
    const response = JSON.stringify(auth.assert(options));
    const before = c.sessionId();
    const done = await c.post(`${CONFIRM}/passkey`, { response });
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe(PASSKEYS);
    expect(c.sessionId()).not.toBe(before);
    expect((await c.get(PASSKEYS)).body).toContain('data-recent="true"');
    const events = (await auditRows(t)).map((row) => [row.event, row.detail]);
    expect(events).toContainEqual(['step-up-confirmed', 'passkey']);
    expect(events).toContainEqual(['passkey-used', 'step-up']);
    // Replayed: the challenge is gone (and the password step is over).
    expect((await c.post(`${CONFIRM}/passkey`, { response })).statusCode).toBe(400);
  });

  it('a wrong passkey at the confirmation counts against the code budget and confirms nothing', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    await addPasskey(c);
    await later(t, PAST_STEP_UP_MS);
    await c.get(CONFIRM);
    await c.post(CONFIRM, { password: ALICE.password });
    await c.get(CONFIRM);
    const options = await optionsFrom(c, `${CONFIRM}/passkey/options`);
    const wrong = await c.post(`${CONFIRM}/passkey`, { response: JSON.stringify(softAuthenticator().assert(options)) });
    expect(wrong.statusCode).toBe(401);
    expect((await c.get(PASSKEYS)).body).toContain('data-recent="false"');
    const [{ count }] = await t.sql("SELECT count(*) AS count FROM audit_log WHERE event = 'passkey-failed' AND detail = 'confirm unknown-credential'");
    expect(Number(count)).toBe(1);
  });

  it('of two parallel confirmations with one assertion, exactly one confirms', async () => {
    const t = await start({ api: 'v2' });
    const c = await signedIn(t);
    const auth = await addPasskey(c);
    await later(t, PAST_STEP_UP_MS);
    await c.get(CONFIRM);
    await c.post(CONFIRM, { password: ALICE.password });
    await c.get(CONFIRM);
    const options = await optionsFrom(c, `${CONFIRM}/passkey/options`);
    const response = JSON.stringify(auth.assert(options));
    const answers = await Promise.all([c.post(`${CONFIRM}/passkey`, { response }), c.post(`${CONFIRM}/passkey`, { response })]);
    const confirmed = answers.filter((a) => a.headers.location === '/');
    expect(confirmed).toHaveLength(1);
    // The loser did not end the winner's new session on its way out.
    const winner = confirmed[0].cookies.filter((k) => k.value !== '').map((k) => `${k.name}=${k.value}`);
    expect((await t.app.inject({ method: 'GET', url: PASSKEYS, headers: { cookie: winner.join('; ') } })).statusCode).toBe(200);
    expect((await auditRows(t)).filter((r) => r.event === 'step-up-confirmed')).toHaveLength(1);
  });
});
