// Passkeys through HTTP, as the page script (public/passkeys.js) drives them: options as JSON from
// a CSRF-checked POST, the (software) authenticator's answer, then the form post with `response`.
import { expect } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { ALICE } from './test-app.ts';
import type { TestApp, TestClient } from './test-app.ts';
import { softAuthenticator } from './soft-authenticator.ts';
import type { SoftAuthenticator, SoftAuthenticatorOptions } from './soft-authenticator.ts';

export const PASSKEYS = '/account/passkeys';
export const PASSKEY_STEP = '/login/passkey';
const JSON_ACCEPT = { accept: 'application/json' };

/** The options a page's script asks for (the challenge is kept in the session). */
export async function optionsFrom(c: TestClient, url: string): Promise<{ challenge: string } & Record<string, unknown>> {
  const res = await c.post(url, {}, JSON_ACCEPT);
  expect(res.statusCode, res.body).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  return res.json();
}

/** On /account/passkeys (recently signed in): options, the authenticator, the form. Returns the form's answer. */
export async function register(c: TestClient, auth: SoftAuthenticator, name?: string): Promise<LightMyRequestResponse> {
  await c.get(PASSKEYS);
  const options = await optionsFrom(c, `${PASSKEYS}/options`);
  return c.post(PASSKEYS, { response: JSON.stringify(auth.register(options)), ...(name === undefined ? {} : { name }) });
}

/** A new software authenticator registered to the signed-in account of `c`. */
export async function addPasskey(c: TestClient, options: SoftAuthenticatorOptions = {}, name?: string): Promise<SoftAuthenticator> {
  const auth = softAuthenticator(options);
  const added = await register(c, auth, name);
  expect(added.statusCode, added.body).toBe(303);
  expect(added.headers.location).toBe(PASSKEYS);
  return auth;
}

/**
 * The row a registration of this authenticator would have stored for the account (Alice unless
 * told), written as an admin would: for tests about signing in, not about adding.
 */
export async function seedPasskey(t: TestApp, options: SoftAuthenticatorOptions = {}, email = ALICE.email): Promise<SoftAuthenticator> {
  const auth = softAuthenticator(options);
  const { counter, backupEligible, backedUp } = auth.settings;
  await t.sql(
    `INSERT INTO passkeys (user_id, credential_id, public_key, counter, transports, device_type, backed_up, name, created_at)
     SELECT id, $1, $2, $3, '["internal"]', $4, $5, 'Seeded', $6 FROM users WHERE email = $7`,
    [auth.credentialId, Buffer.from(auth.publicKey), counter, backupEligible ? 'multiDevice' : 'singleDevice', backedUp ? 1 : 0, Date.now(), email],
  );
  return auth;
}

/** Alice's password step, for an account with a passkey: the passkey page, no code sent. */
export async function passwordToPasskey(t: TestApp, c: TestClient, email = ALICE.email, password = ALICE.password): Promise<void> {
  const sent = t.sim.sent.length;
  const login = await c.post('/login', { email, password });
  expect(login.statusCode).toBe(303);
  expect(login.headers.location).toBe(PASSKEY_STEP);
  expect(t.sim.sent).toHaveLength(sent);
  expect((await c.get(PASSKEY_STEP)).statusCode).toBe(200);
}

/** The assertion this authenticator makes for the passkey step's fresh options (as JSON, the form field). */
export async function assertionFor(c: TestClient, auth: SoftAuthenticator, optionsUrl = `${PASSKEY_STEP}/options`): Promise<string> {
  const options = await optionsFrom(c, optionsUrl);
  return JSON.stringify(auth.assert(options));
}

/** At the passkey step: options, the assertion, the form post. Returns the post's answer. */
export async function usePasskey(c: TestClient, auth: SoftAuthenticator): Promise<LightMyRequestResponse> {
  return c.post(PASSKEY_STEP, { response: await assertionFor(c, auth) });
}
