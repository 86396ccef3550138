// Passkeys and the phone change on two instances sharing the backends (PostgreSQL, and Redis when
// the run names it): one browser's requests land on either instance, as behind a load balancer
// without sticky sessions. The same passkey answer, registration or phone-change code posted to
// both at once does its work once; the single-use points (a passkey challenge, a Verify request a
// sign-in took over) live in the shared store with an expiry; a passkey removed on one instance is
// gone for a sign-in waiting on the other; a sign-in racing "Sign out all other browsers" or a
// password change on the other instance does not outlive it.
import type { LightMyRequestResponse } from 'fastify';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { ACCOUNT_CACHE_MS } from '../../../src/accounts/account-cache.ts';
import { ALICE, createTestClient, useTestApps } from '../../helpers/test-app.ts';
import type { TestApp, TestClient } from '../../helpers/test-app.ts';
import { csrfFrom } from '../../helpers/cookie-jar.ts';
import { PASSKEYS, PASSKEY_STEP, addPasskey, assertionFor, optionsFrom, passwordToPasskey, seedPasskey } from '../../helpers/passkeys.ts';
import { softAuthenticator } from '../../helpers/soft-authenticator.ts';
import { auditRows } from '../../helpers/audit.ts';
import { CONFIRM, PAST_STEP_UP_MS, later } from '../../helpers/confirm.ts';
import { TEST_REDIS, backendEnv } from '../../helpers/test-backend.ts';

/** Mobiles in libphonenumber-js's metadata (as account-phone.test.ts uses). */
const NEW_PHONE = '+353851234567';
const OTHER_PHONE = '+447911123456';

/** Two instances of the app on one database (and Redis), one Verify simulator. */
async function twoInstances(startApp: ReturnType<typeof useTestApps>): Promise<[TestApp, TestApp]> {
  const a = await startApp({ api: 'v2' });
  const b = await startApp({ api: 'v2', dir: a.dir, sim: a.sim });
  return [a, b];
}

/** The same browser (its cookies) talking to instance `t`. */
function sameBrowserOn(t: TestApp, c: TestClient): TestClient {
  const other = createTestClient(t.app);
  other.jar.copyFrom(c.jar);
  return other;
}

/** A form post of `fields` with this browser's cookies and the CSRF token of `page`, to one instance. */
function formPost(t: TestApp, c: TestClient, page: string, url: string, fields: Record<string, string>): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method: 'POST',
    url,
    cookies: c.jar.cookiesFor(`http://localhost${url}`),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: csrfFrom(page), ...fields }).toString(),
  });
}

/** No answer was a 5xx. */
function expectNo5xx(answers: LightMyRequestResponse[]) {
  for (const res of answers) expect(res.statusCode, res.body.slice(0, 300)).toBeLessThan(500);
}

const isHome = (res: LightMyRequestResponse) => res.statusCode === 303 && res.headers.location === '/';

describe('passkeys and the phone change on two instances', () => {
  const startApp = useTestApps();

  it('one passkey answer posted to both instances at once signs in once, and the challenge is spent on both', async () => {
    const [a, b] = await twoInstances(startApp);
    const auth = await seedPasskey(a);
    const c = a.client();
    await passwordToPasskey(a, c);
    const response = await assertionFor(c, auth);
    const page = (await c.get(PASSKEY_STEP)).body;
    const answers = await Promise.all([formPost(a, c, page, PASSKEY_STEP, { response }), formPost(b, c, page, PASSKEY_STEP, { response })]);
    expectNo5xx(answers);
    const won = answers.filter((res) => isHome(res) && res.cookies.some((k) => k.value !== ''));
    expect(won).toHaveLength(1);
    expect((await auditRows(a)).filter((row) => row.event === 'passkey-used')).toHaveLength(1);
    // the same answer once more, on either instance: no second sign-in
    const again = await Promise.all([formPost(a, c, page, PASSKEY_STEP, { response }), formPost(b, c, page, PASSKEY_STEP, { response })]);
    expectNo5xx(again);
    expect((await auditRows(a)).filter((row) => row.event === 'passkey-used')).toHaveLength(1);
  });

  it('options from one instance, the answer to the other: it signs in; the answer replayed on the first is refused', async () => {
    const [a, b] = await twoInstances(startApp);
    const auth = await seedPasskey(a);
    const c = a.client();
    await passwordToPasskey(a, c);
    const response = await assertionFor(c, auth);
    const onB = sameBrowserOn(b, c);
    const page = (await onB.get(PASSKEY_STEP)).body;
    expect(isHome(await formPost(b, onB, page, PASSKEY_STEP, { response }))).toBe(true);

    // another browser's sign-in, replaying that answer on A: the challenge is not its own, and spent
    const thief = a.client();
    await passwordToPasskey(a, thief);
    await optionsFrom(thief, `${PASSKEY_STEP}/options`);
    const thiefPage = (await thief.get(PASSKEY_STEP)).body;
    const replay = await formPost(a, thief, thiefPage, PASSKEY_STEP, { response });
    expect(replay.statusCode).toBe(401);
    expect((await auditRows(a)).filter((row) => row.event === 'passkey-used')).toHaveLength(1);
  });

  it('one passkey answer to the recent sign-in check, posted to both instances at once, confirms once', async () => {
    const [a, b] = await twoInstances(startApp);
    const c = a.client();
    expect(isHome(await c.signIn(a.sim))).toBe(true);
    const auth = await addPasskey(c);
    await later(a, PAST_STEP_UP_MS);
    expect((await c.get('/account/phone')).headers.location).toBe(CONFIRM);
    await c.get(CONFIRM);
    expect((await c.post(CONFIRM, { password: ALICE.password })).headers.location).toBe(CONFIRM);
    const response = await assertionFor(c, auth, `${CONFIRM}/passkey/options`);
    const page = (await c.get(CONFIRM)).body;
    const answers = await Promise.all([formPost(a, c, page, `${CONFIRM}/passkey`, { response }), formPost(b, c, page, `${CONFIRM}/passkey`, { response })]);
    expectNo5xx(answers);
    expect(answers.filter((res) => res.statusCode === 303 && res.headers.location === '/account/phone')).toHaveLength(1);
    const confirmed = (await auditRows(a)).filter((row) => row.event === 'passkey-used' && row.detail === 'step-up');
    expect(confirmed).toHaveLength(1);
  });

  it('one registration answer posted to both instances at once adds one passkey', async () => {
    const [a, b] = await twoInstances(startApp);
    const c = a.client();
    expect(isHome(await c.signIn(a.sim))).toBe(true);
    const auth = softAuthenticator();
    await c.get(PASSKEYS);
    const options = await optionsFrom(c, `${PASSKEYS}/options`);
    const response = JSON.stringify(auth.register(options));
    const page = (await c.get(PASSKEYS)).body;
    const answers = await Promise.all([formPost(a, c, page, PASSKEYS, { response, name: 'A' }), formPost(b, c, page, PASSKEYS, { response, name: 'B' })]);
    expectNo5xx(answers);
    expect(await a.sql('SELECT name FROM passkeys')).toHaveLength(1);
  });

  it('the right phone-change code posted to both instances at once stores the phone once and ends the other sessions', async () => {
    const [a, b] = await twoInstances(startApp);
    const c = a.client();
    expect(isHome(await c.signIn(a.sim))).toBe(true);
    const elsewhere = b.client();
    expect(isHome(await elsewhere.signIn(a.sim))).toBe(true);
    await c.get('/account/phone');
    expect((await c.post('/account/phone', { phone: NEW_PHONE })).headers.location).toBe('/account/phone');
    const code = a.sim.lastCode(NEW_PHONE) as string;
    const page = (await c.get('/account/phone')).body;
    const answers = await Promise.all([formPost(a, c, page, '/account/phone', { code }), formPost(b, c, page, '/account/phone', { code })]);
    expectNo5xx(answers);
    expect(answers.filter(isHome)).toHaveLength(1);
    expect(await a.sql('SELECT phone FROM users')).toEqual([{ phone: NEW_PHONE }]);
    expect((await auditRows(a)).filter((row) => row.event === 'phone-changed')).toHaveLength(1);
    expect((await elsewhere.get('/')).headers.location).toBe('/login');
  });

  it('two browsers each changing the phone with the right code, on two instances at once: one number is stored, the other browser is told', async () => {
    const [a, b] = await twoInstances(startApp);
    const first = a.client();
    expect(isHome(await first.signIn(a.sim))).toBe(true);
    const second = b.client();
    expect(isHome(await second.signIn(a.sim))).toBe(true);
    await first.get('/account/phone');
    expect((await first.post('/account/phone', { phone: NEW_PHONE })).headers.location).toBe('/account/phone');
    await second.get('/account/phone');
    expect((await second.post('/account/phone', { phone: OTHER_PHONE })).headers.location).toBe('/account/phone');
    const [firstPage, secondPage] = [(await first.get('/account/phone')).body, (await second.get('/account/phone')).body];
    const answers = await Promise.all([
      formPost(a, first, firstPage, '/account/phone', { code: a.sim.lastCode(NEW_PHONE) as string }),
      formPost(b, second, secondPage, '/account/phone', { code: a.sim.lastCode(OTHER_PHONE) as string }),
    ]);
    expectNo5xx(answers);
    expect(answers.filter(isHome)).toHaveLength(1);
    const [{ phone }] = await a.sql('SELECT phone FROM users');
    expect(phone).toBe(isHome(answers[0]) ? NEW_PHONE : OTHER_PHONE);
    expect((await auditRows(a)).filter((row) => row.event === 'phone-changed')).toHaveLength(1);
  });

  for (const action of ['“Sign out all other browsers”', 'a password change'] as const) {
    it(`a passkey sign-in on one instance racing ${action} on the other does not outlive it`, async () => {
      const [a, b] = await twoInstances(startApp);
      const owner = b.client();
      expect(isHome(await owner.signIn(a.sim))).toBe(true);
      const auth = await addPasskey(owner);
      const c = a.client();
      await passwordToPasskey(a, c);
      const response = await assertionFor(c, auth);
      const page = (await c.get(PASSKEY_STEP)).body;
      const [form, url, fields, after] =
        action === 'a password change'
          ? (['/account/password', '/account/password', { current_password: ALICE.password, new_password: 'a brand new passphrase 42' }, '/'] as const)
          : (['/account/sessions', '/account/sessions/end-others', {}, '/account/sessions'] as const);
      const ownerPage = (await owner.get(form)).body;
      const answers = await Promise.all([formPost(a, c, page, PASSKEY_STEP, { response }), formPost(b, owner, ownerPage, url, fields)]);
      expectNo5xx(answers);
      expect(answers[1].headers.location).toBe(after);
      const raced = createTestClient(a.app);
      raced.jar.copyFrom(c.jar);
      raced.jar.store(answers[0]);
      // past the gate's account cache: every instance reads the moved epoch
      await a.moveClock(Date.now() + ACCOUNT_CACHE_MS);
      for (const t of [a, b]) expect((await sameBrowserOn(t, raced).get('/')).statusCode).toBe(303);
    });
  }

  it('the last passkey removed on one instance while the other is at /login/passkey: no sign-in by it, and "Send a code instead" works', async () => {
    const [a, b] = await twoInstances(startApp);
    const owner = b.client();
    expect(isHome(await owner.signIn(a.sim))).toBe(true);
    const auth = await addPasskey(owner);
    const c = a.client();
    await passwordToPasskey(a, c);
    const response = await assertionFor(c, auth);
    const [{ id }] = await a.sql('SELECT id FROM passkeys');
    await owner.get(PASSKEYS);
    expect((await owner.post(`${PASSKEYS}/remove`, { id: String(id) })).statusCode).toBe(303);
    expect(await a.sql('SELECT id FROM passkeys')).toHaveLength(0);

    const page = (await c.get(PASSKEY_STEP)).body;
    const refused = await formPost(a, c, page, PASSKEY_STEP, { response });
    expect(refused.statusCode).toBe(401);
    const options = await c.post(`${PASSKEY_STEP}/options`, {}, { accept: 'application/json' });
    expect(options.statusCode).toBe(409);
    await c.get(PASSKEY_STEP);
    const sms = await c.post(`${PASSKEY_STEP}/sms`, {});
    expect(sms.headers.location).toBe('/login/code');
    await c.get('/login/code');
    expect(isHome(await c.post('/login/code', { code: a.sim.lastCode(ALICE.phone) as string }))).toBe(true);
  });

  it.runIf(TEST_REDIS)('keeps a used passkey challenge and a taken-over Verify request in Redis, each with an expiry', async () => {
    const [a] = await twoInstances(startApp);
    const auth = await seedPasskey(a);
    const c = a.client();
    await passwordToPasskey(a, c);
    const page = (await c.get(PASSKEY_STEP)).body;
    expect(isHome(await formPost(a, c, page, PASSKEY_STEP, { response: await assertionFor(c, auth) }))).toBe(true);
    await a.app.budgets.markVerifyShared('some-request-id');
    const prefix = (await backendEnv(a.dir)).REDIS_KEY_PREFIX;
    const redis = new Redis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
    try {
      for (const [name, seconds] of [['passkey-challenge', 300], ['verify-shared', 1800]] as const) {
        const keys = await redis.keys(`${prefix}limit:${name}*`);
        expect(keys, name).toHaveLength(1);
        const ttl = await redis.pttl(keys[0]);
        expect(ttl, name).toBeGreaterThan(0);
        expect(ttl, name).toBeLessThanOrEqual(seconds * 1000);
      }
    } finally {
      redis.disconnect();
    }
  });
});
