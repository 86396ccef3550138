// "Check a passkey assertion", written once: for a sign-in (src/signin/factors/passkey.ts) and for a
// confirmation (/account/confirm). The session's challenge is taken (single use), the credential
// is looked up among THIS account's passkeys only (another account's never signs in this one),
// the library checks the signature, and the new counter and backup state are written in one
// compare-and-set: of two assertions racing on one counter, one is refused. Every failure is
// audited (`passkey-failed`, with the reason; never the credential ID or the challenge).
import type { FastifyRequest } from 'fastify';
import type { Passkey } from '../accounts/passkey-store.ts';
import type { ChallengePurpose } from './passkeys-plugin.ts';
import { checkAssertion, credentialIdOf } from './webauthn.ts';
import type { CheckFailure } from './webauthn.ts';

export type AssertionFailure = CheckFailure | 'expired' | 'no-challenge' | 'counter-raced';

export type AssertionOutcome = { ok: true; passkey: Passkey } | { ok: false; reason: AssertionFailure };

/** The `response` form field: the JSON @simplewebauthn/browser returned; undefined when it is not JSON. */
export function parseResponseField(field: string): unknown {
  try {
    return JSON.parse(field) as unknown;
  } catch {
    return undefined;
  }
}

export async function checkPasskeyAssertion(
  request: FastifyRequest,
  { purpose, userId, response }: { purpose: ChallengePurpose; userId: number; response: string },
): Promise<AssertionOutcome> {
  const outcome = await check(request, purpose, userId, response);
  if (!outcome.ok) await request.server.audit.record('passkey-failed', request, { userId, detail: `${purpose} ${outcome.reason}` });
  return outcome;
}

async function check(request: FastifyRequest, purpose: ChallengePurpose, userId: number, field: string): Promise<AssertionOutcome> {
  const { passkeys } = request.server;
  // Taken first, whatever the body: a malformed post uses the challenge up too.
  const taken = await passkeys.takeChallenge(request, purpose, userId);
  const response = parseResponseField(field);
  const credentialId = credentialIdOf(response);
  if (response === undefined || credentialId === undefined) return { ok: false, reason: 'malformed' };
  if (!taken.ok) return { ok: false, reason: taken.reason === 'expired' ? 'expired' : 'no-challenge' };
  const passkey = await passkeys.store.find(userId, credentialId);
  const checked = await checkAssertion(passkeys.rp, response, taken.challenge, passkey);
  if (!checked.ok) return { ok: false, reason: checked.reason };
  // checkAssertion answers 'unknown-credential' without a passkey: here there is one.
  const found = passkey as Passkey;
  const usedAt = Date.now();
  const use = { seenCounter: found.counter, newCounter: checked.newCounter, backedUp: checked.backedUp, usedAt };
  if (!(await passkeys.store.recordUse(userId, found.credentialId, use))) return { ok: false, reason: 'counter-raced' };
  return { ok: true, passkey: { ...found, counter: checked.newCounter, backedUp: checked.backedUp, lastUsedAt: usedAt } };
}
