// The relying party's checks on responses Chromium's virtual authenticator really produced
// (recorded by test/fixtures/webauthn/record.ts): each refusal the sign-in relies on, with its
// reason, and never a throw whatever the body.
import { Buffer } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeCredentialPublicKey } from '@simplewebauthn/server/helpers';
import type { Passkey } from '../../src/accounts/passkey-store.ts';
import {
  CHALLENGE_TTL_MS,
  authenticationOptions,
  checkAssertion,
  checkRegistration,
  credentialIdOf,
  registrationOptions,
  relyingParty,
} from '../../src/passkeys/webauthn.ts';
import type { RelyingParty } from '../../src/passkeys/webauthn.ts';
import { softwareAuthenticator } from './software-authenticator.ts';

interface Ceremony {
  challenge: string;
  response: { id: string; response: Record<string, string> } & Record<string, unknown>;
}
interface Fixture {
  rp: RelyingParty;
  user: { id: number; email: string };
  registration: Ceremony;
  assertions: Ceremony[];
}

const fixture = (name: string): Fixture => JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'webauthn', `${name}.json`), 'utf8'));
const alice = fixture('alice');
const bob = fixture('bob');
const unverified = fixture('unverified');
const rp = alice.rp;

/** A deep copy to tamper with. */
const copy = <T>(value: T): T => structuredClone(value);
const b64 = (bytes: Buffer) => bytes.toString('base64url');
const bytesOf = (base64url: string) => Buffer.from(base64url, 'base64url');

/** The passkey the app stores after a fixture's registration passed the check. */
async function registered(f: Fixture): Promise<Passkey> {
  const check = await checkRegistration(f.rp, f.registration.response, f.registration.challenge);
  if (!check.ok) throw new Error(`registration refused: ${check.reason}`);
  return { ...check.credential, id: f.user.id * 100, userId: f.user.id, name: 'Laptop', createdAt: 0, lastUsedAt: null };
}

describe('relyingParty', () => {
  it('takes the ID from PUBLIC_ORIGIN host name and the origin with its port, never a path', () => {
    expect(relyingParty(new URL('http://localhost:3000'), 'Acme')).toEqual({ id: 'localhost', name: 'Acme', origin: 'http://localhost:3000' });
    expect(relyingParty(new URL('https://app.example.com/'), 'Acme')).toEqual({ id: 'app.example.com', name: 'Acme', origin: 'https://app.example.com' });
  });
});

describe('registration', () => {
  it('accepts the recorded registration and gives the credential to store', async () => {
    const check = await checkRegistration(rp, alice.registration.response, alice.registration.challenge);
    expect(check.ok).toBe(true);
    if (!check.ok) return;
    expect(check.credential.credentialId).toBe(alice.registration.response.id);
    expect(check.credential.counter).toBe(1); // Chromium's virtual authenticator counts from 1
    expect(check.credential.transports).toEqual(['internal']);
    expect(check.credential).toMatchObject({ deviceType: 'singleDevice', backedUp: false });
    // A COSE key of the algorithm the browser reported (EdDSA: -8; Bob's ES256: -7).
    expect(decodeCredentialPublicKey(new Uint8Array(check.credential.publicKey)).get(3)).toBe(-8);
    const bobs = await checkRegistration(rp, bob.registration.response, bob.registration.challenge);
    expect(bobs.ok && decodeCredentialPublicKey(new Uint8Array(bobs.credential.publicKey)).get(3)).toBe(-7);
  });

  it('refuses another challenge, origin or relying party ID, and an authenticator that did not verify the user', async () => {
    const { response, challenge } = alice.registration;
    expect(await checkRegistration(rp, response, bob.registration.challenge)).toEqual({ ok: false, reason: 'challenge' });
    expect(await checkRegistration(rp, response, '')).toEqual({ ok: false, reason: 'challenge' });
    expect(await checkRegistration({ ...rp, origin: 'http://localhost:3000' }, response, challenge)).toEqual({ ok: false, reason: 'origin' });
    expect(await checkRegistration({ ...rp, id: 'example.com' }, response, challenge)).toEqual({ ok: false, reason: 'rp-id' });
    expect(await checkRegistration(rp, unverified.registration.response, unverified.registration.challenge)).toEqual({ ok: false, reason: 'user-verification' });
  });

  it('drops transports WebAuthn does not name, and refuses a response whose id is not the credential made', async () => {
    const odd = copy(alice.registration.response) as Ceremony['response'] & { response: { transports: unknown } };
    odd.response.transports = ['internal', 'carrier-pigeon', 'internal', 7];
    const check = await checkRegistration(rp, odd, alice.registration.challenge);
    expect(check.ok && check.credential.transports).toEqual(['internal']);
    const renamed = { ...copy(alice.registration.response), id: bob.registration.response.id, rawId: bob.registration.response.id };
    expect(await checkRegistration(rp, renamed, alice.registration.challenge)).toEqual({ ok: false, reason: 'malformed' });
  });
});

describe('assertion', () => {
  it('accepts the recorded assertions in turn, the counter advancing and the backup state reported', async () => {
    const passkey = await registered(alice);
    const [first, second] = alice.assertions;
    const one = await checkAssertion(rp, first.response, first.challenge, passkey);
    expect(one).toEqual({ ok: true, credentialId: passkey.credentialId, newCounter: 2, backedUp: false });
    const two = await checkAssertion(rp, second.response, second.challenge, { ...passkey, counter: 2 });
    expect(two).toEqual({ ok: true, credentialId: passkey.credentialId, newCounter: 3, backedUp: false });
    // Bob's ES256 key signs in the same way.
    const bobs = await registered(bob);
    expect(await checkAssertion(rp, bob.assertions[0].response, bob.assertions[0].challenge, bobs)).toMatchObject({ ok: true, newCounter: 2 });
  });

  it('refuses a replayed assertion: the same response against the next challenge', async () => {
    const passkey = await registered(alice);
    const [first, second] = alice.assertions;
    expect(await checkAssertion(rp, first.response, second.challenge, passkey)).toEqual({ ok: false, reason: 'challenge' });
    expect(await checkAssertion(rp, first.response, '', passkey)).toEqual({ ok: false, reason: 'challenge' });
  });

  it('refuses a wrong origin, a cross-origin iframe and a wrong relying party ID', async () => {
    const passkey = await registered(alice);
    const { response, challenge } = alice.assertions[0];
    expect(await checkAssertion({ ...rp, origin: 'https://localhost:47621' }, response, challenge, passkey)).toEqual({ ok: false, reason: 'origin' });
    expect(await checkAssertion({ ...rp, id: 'example.com' }, response, challenge, passkey)).toEqual({ ok: false, reason: 'rp-id' });
    const framed = copy(response);
    const clientData = JSON.parse(bytesOf(framed.response.clientDataJSON).toString('utf8'));
    framed.response.clientDataJSON = b64(Buffer.from(JSON.stringify({ ...clientData, crossOrigin: true, topOrigin: 'https://evil.example' })));
    expect(await checkAssertion(rp, framed, challenge, passkey)).toEqual({ ok: false, reason: 'origin' });
  });

  it('refuses a counter that went backwards or stood still (a cloned authenticator, or the same response twice)', async () => {
    const passkey = await registered(alice);
    const { response, challenge } = alice.assertions[0]; // counter 2
    expect(await checkAssertion(rp, response, challenge, { ...passkey, counter: 100 })).toEqual({ ok: false, reason: 'counter' });
    expect(await checkAssertion(rp, response, challenge, { ...passkey, counter: 2 })).toEqual({ ok: false, reason: 'counter' });
    expect(await checkAssertion(rp, response, challenge, { ...passkey, counter: 1 })).toMatchObject({ ok: true });
  });

  it("refuses another account's credential: its stored passkey under this account, none, or one whose user handle differs", async () => {
    const alices = await registered(alice);
    const bobs = await registered(bob);
    const { response, challenge } = bob.assertions[0];
    // Bob's response checked against Alice's passkey (the account being signed in).
    expect(await checkAssertion(rp, response, challenge, alices)).toEqual({ ok: false, reason: 'unknown-credential' });
    // store.find(alice, bob's credential id) finds nothing.
    expect(await checkAssertion(rp, response, challenge, undefined)).toEqual({ ok: false, reason: 'unknown-credential' });
    // A row that says Bob's credential is Alice's: the authenticator's user handle still names Bob.
    expect(await checkAssertion(rp, response, challenge, { ...bobs, userId: alice.user.id })).toEqual({ ok: false, reason: 'unknown-credential' });
  });

  it('refuses a tampered signature, and tampered authenticator data or client data that the signature covers', async () => {
    const alices = await registered(alice);
    const bobs = await registered(bob);
    for (const [f, passkey] of [[alice, alices], [bob, bobs]] as const) {
      const { response, challenge } = f.assertions[0];
      const signature = bytesOf(response.response.signature);
      signature[signature.length - 3] ^= 0x01;
      const badSignature = copy(response);
      badSignature.response.signature = b64(signature);
      expect(await checkAssertion(rp, badSignature, challenge, passkey)).toEqual({ ok: false, reason: 'signature' });
      // The counter raised by hand (byte 36 is the counter's lowest) no longer matches the signature.
      const authData = bytesOf(response.response.authenticatorData);
      authData[36] += 10;
      const raisedCounter = copy(response);
      raisedCounter.response.authenticatorData = b64(authData);
      expect(await checkAssertion(rp, raisedCounter, challenge, passkey)).toEqual({ ok: false, reason: 'signature' });
      const clientData = JSON.parse(bytesOf(response.response.clientDataJSON).toString('utf8'));
      const reworded = copy(response);
      reworded.response.clientDataJSON = b64(Buffer.from(JSON.stringify({ ...clientData, other_keys_can_be_added_here: 'x' })));
      expect(await checkAssertion(rp, reworded, challenge, passkey)).toEqual({ ok: false, reason: 'signature' });
    }
    // A signature from another key: Bob's response under Alice's public key.
    const borrowed = { ...alices, credentialId: bobs.credentialId, userId: bobs.userId };
    expect(await checkAssertion(rp, bob.assertions[0].response, bob.assertions[0].challenge, borrowed)).toEqual({ ok: false, reason: 'signature' });
    // A stored key that is not a key at all is a refusal too, not a throw.
    const broken = { ...alices, publicKey: new Uint8Array([1, 2, 3]) };
    expect(await checkAssertion(rp, alice.assertions[0].response, alice.assertions[0].challenge, broken)).toEqual({ ok: false, reason: 'signature' });
  });

  it('accepts a synced passkey that keeps no counter (0 and 0), and reports its backup state as it is now', async () => {
    const device = softwareAuthenticator();
    const passkey: Passkey = {
      id: 400,
      userId: 4,
      credentialId: device.credentialId,
      publicKey: device.publicKey,
      counter: 0,
      transports: ['hybrid', 'internal'],
      deviceType: 'multiDevice',
      backedUp: false,
      name: 'Synced',
      createdAt: 0,
      lastUsedAt: null,
    };
    const challenge = b64(Buffer.from('a challenge of thirty-two bytes!'));
    const synced = device.assert({ rpId: rp.id, origin: rp.origin, challenge, counter: 0, backedUp: true, userHandle: b64(Buffer.from('4')) });
    expect(await checkAssertion(rp, synced, challenge, passkey)).toEqual({ ok: true, credentialId: device.credentialId, newCounter: 0, backedUp: true });
    const notYetBackedUp = device.assert({ rpId: rp.id, origin: rp.origin, challenge, counter: 0, backedUp: false });
    expect(await checkAssertion(rp, notYetBackedUp, challenge, passkey)).toMatchObject({ ok: true, backedUp: false });
    // Once a counter was seen, a 0 is a counter gone backwards.
    expect(await checkAssertion(rp, synced, challenge, { ...passkey, counter: 5 })).toEqual({ ok: false, reason: 'counter' });
    // Judged like a device's: the backup flag turned off by hand no longer matches the signature.
    const tampered = copy(synced) as { response: { authenticatorData: string } };
    const authData = bytesOf(tampered.response.authenticatorData);
    authData[32] &= ~0x10;
    tampered.response.authenticatorData = b64(authData);
    expect(await checkAssertion(rp, tampered, challenge, passkey)).toEqual({ ok: false, reason: 'signature' });
  });

  it('refuses an assertion whose user was not verified (an authenticator with isUserVerified false)', async () => {
    const passkey: Passkey = {
      id: 300,
      userId: unverified.user.id,
      credentialId: unverified.registration.response.id,
      // The check stops at the flags before the key is read: the unverified registration was refused.
      publicKey: new Uint8Array(),
      counter: 1,
      transports: ['internal'],
      deviceType: 'singleDevice',
      backedUp: false,
      name: 'Key',
      createdAt: 0,
      lastUsedAt: null,
    };
    const { response, challenge } = unverified.assertions[0];
    expect(await checkAssertion(rp, response, challenge, passkey)).toEqual({ ok: false, reason: 'user-verification' });
  });
});

describe('bodies that are not responses at all', () => {
  const assertion = alice.assertions[0].response;
  const registration = alice.registration.response;
  const withInner = (base: Ceremony['response'], inner: Record<string, unknown>) => ({ ...copy(base), response: { ...copy(base.response), ...inner } });
  const garbage: [string, unknown][] = [
    ['null', null],
    ['undefined', undefined],
    ['a string', 'hello'],
    ['a number', 42],
    ['an array', [assertion]],
    ['an empty object', {}],
    ['a huge id', { ...copy(assertion), id: 'A'.repeat(100_000), rawId: 'A'.repeat(100_000) }],
    ['an id that is not base64url', { ...copy(assertion), id: 'not base64url!', rawId: 'not base64url!' }],
    ['an id too short to be a credential', { ...copy(assertion), id: 'AAAA', rawId: 'AAAA' }],
    ['an id that is a number', { ...copy(assertion), id: 12345, rawId: 12345 }],
    ['rawId not the id', { ...copy(assertion), rawId: bob.assertions[0].response.id }],
    ['another type', { ...copy(assertion), type: 'password' }],
    ['no response', { ...copy(assertion), response: undefined }],
    ['a response that is an array', { ...copy(assertion), response: [] }],
    ['no client data', withInner(assertion, { clientDataJSON: undefined })],
    ['client data that is not base64url', withInner(assertion, { clientDataJSON: '{"type":"webauthn.get"}' })],
    ['client data that is not JSON', withInner(assertion, { clientDataJSON: b64(Buffer.from('not json')) })],
    ['client data that is a JSON array', withInner(assertion, { clientDataJSON: b64(Buffer.from('[1,2]')) })],
    ['client data with no challenge', withInner(assertion, { clientDataJSON: b64(Buffer.from('{"type":"webauthn.get","origin":"x"}')) })],
    ['huge client data', withInner(assertion, { clientDataJSON: 'A'.repeat(1_000_000) })],
  ];

  it.each(garbage)('checkAssertion: %s is malformed', async (_name, body) => {
    const passkey = await registered(alice);
    await expect(checkAssertion(rp, body, alice.assertions[0].challenge, passkey)).resolves.toEqual({ ok: false, reason: 'malformed' });
  });

  it.each([
    ...garbage,
    ['an assertion', assertion],
    ['no attestation object', withInner(registration, { attestationObject: undefined })],
    ['an attestation object that is not CBOR', withInner(registration, { attestationObject: b64(Buffer.from('garbage garbage')) })],
    ['an attestation object with no credential', withInner(registration, { attestationObject: b64(Buffer.from('a0', 'hex')) })],
    ['transports that are not a list', withInner(registration, { transports: 'usb' })],
  ] as [string, unknown][])('checkRegistration: %s is malformed', async (_name, body) => {
    await expect(checkRegistration(rp, body, alice.registration.challenge)).resolves.toEqual({ ok: false, reason: 'malformed' });
  });

  it('checkAssertion: a registration response, or authenticator data cut short, is malformed', async () => {
    const passkey = await registered(alice);
    await expect(checkAssertion(rp, registration, alice.registration.challenge, passkey)).resolves.toEqual({ ok: false, reason: 'malformed' });
    const cut = withInner(assertion, { authenticatorData: b64(bytesOf(assertion.response.authenticatorData).subarray(0, 20)) });
    await expect(checkAssertion(rp, cut, alice.assertions[0].challenge, passkey)).resolves.toEqual({ ok: false, reason: 'malformed' });
  });

  it('credentialIdOf names the id of a sane response only', () => {
    expect(credentialIdOf(assertion)).toBe(assertion.id);
    expect(credentialIdOf({ id: 'A'.repeat(1364) })).toBe('A'.repeat(1364));
    for (const [, body] of garbage.slice(0, 10)) expect(credentialIdOf(body)).toBeUndefined();
    expect(credentialIdOf({ id: 'A'.repeat(1365) })).toBeUndefined();
    expect(credentialIdOf({ id: `${assertion.id}=` })).toBeUndefined();
  });
});

describe('options', () => {
  const stored = (credentialId: string, transports: string[]): Passkey => ({
    id: 1,
    userId: 7,
    credentialId,
    publicKey: new Uint8Array(),
    counter: 0,
    transports,
    deviceType: 'multiDevice',
    backedUp: true,
    name: 'Phone',
    createdAt: 0,
    lastUsedAt: null,
  });
  const existing = [stored(alice.registration.response.id, ['internal', 'hybrid']), stored(bob.registration.response.id, [])];

  it('registration: user verification required, no attestation, the existing credentials excluded, a fresh challenge', async () => {
    const options = await registrationOptions(rp, { id: 7, email: 'alice@example.com' }, existing);
    expect(options.rp).toEqual({ id: 'localhost', name: 'Acme' });
    expect(options.user).toEqual({ id: b64(Buffer.from('7')), name: 'alice@example.com', displayName: 'alice@example.com' });
    expect(options.authenticatorSelection).toEqual({ residentKey: 'preferred', requireResidentKey: false, userVerification: 'required' });
    expect(options.attestation).toBe('none');
    expect(options.timeout).toBe(CHALLENGE_TTL_MS);
    expect(options.pubKeyCredParams.map((param) => param.alg)).toEqual([-8, -7, -257]);
    expect(options.excludeCredentials).toEqual([
      { id: alice.registration.response.id, transports: ['internal', 'hybrid'], type: 'public-key' },
      { id: bob.registration.response.id, transports: [], type: 'public-key' },
    ]);
    expect(bytesOf(options.challenge).length).toBeGreaterThanOrEqual(32);
    const again = await registrationOptions(rp, { id: 7, email: 'alice@example.com' }, []);
    expect(again.challenge).not.toBe(options.challenge);
    expect(again.excludeCredentials).toEqual([]);
  });

  it('authentication: exactly the given credentials allowed, user verification required', async () => {
    const options = await authenticationOptions(rp, existing);
    expect(options.rpId).toBe('localhost');
    expect(options.userVerification).toBe('required');
    expect(options.timeout).toBe(CHALLENGE_TTL_MS);
    expect(options.allowCredentials).toEqual([
      { id: alice.registration.response.id, transports: ['internal', 'hybrid'], type: 'public-key' },
      { id: bob.registration.response.id, transports: [], type: 'public-key' },
    ]);
    expect(bytesOf(options.challenge).length).toBeGreaterThanOrEqual(32);
    expect((await authenticationOptions(rp, [])).allowCredentials).toEqual([]);
  });
});
