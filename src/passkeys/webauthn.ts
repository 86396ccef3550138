// The relying party's policy over @simplewebauthn/server: what the browser is asked for (user
// verification required, no attestation, the account's own credentials only) and how a response
// is judged. Each check the library makes is made first (response-checks.ts, in the library's
// order), so a refusal carries its reason (the audit log and the tests tell a replay from a wrong
// origin); the library then verifies the whole response again and has the last word. Nothing here
// throws on a response: whatever a client posts ends as { ok: false }.
import { Buffer } from 'node:buffer';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { COSEALG, decodeAttestationObject } from '@simplewebauthn/server/helpers';
import type { NewPasskey, Passkey } from '../accounts/passkey-store.ts';
import { assertionShape, attestationShape, checkAuthData, checkClientData, fail, libraryReason, parsedAuthData } from './response-checks.ts';
import type { AuthData, CheckFailure } from './response-checks.ts';

export { credentialIdOf } from './response-checks.ts';

export interface RelyingParty {
  id: string;
  name: string;
  origin: string;
}

/** id: PUBLIC_ORIGIN's hostname; origin: PUBLIC_ORIGIN's origin (scheme://host[:port]); name: the brand. */
export function relyingParty(publicOrigin: URL, name: string): RelyingParty {
  return { id: publicOrigin.hostname, name, origin: publicOrigin.origin };
}

/** Challenges live at most this long (the options' timeout too). */
export const CHALLENGE_TTL_MS = 5 * 60_000;

/**
 * EdDSA, ES256 and RS256: the library's defaults without ML-DSA-44, which it adds when the runtime
 * has it. Node 24 marks ML-DSA experimental (a warning on the server's log at the first ceremony),
 * and every passkey provider makes ES256 keys. The same list goes to the options and the check.
 */
const ALGORITHMS = [COSEALG.EdDSA, COSEALG.ES256, COSEALG.RS256];

export type { CheckFailure };

export type RegistrationCheck =
  | { ok: true; credential: Pick<NewPasskey, 'credentialId' | 'publicKey' | 'counter' | 'transports' | 'deviceType' | 'backedUp'> }
  | { ok: false; reason: CheckFailure };

export type AssertionCheck = { ok: true; credentialId: string; newCounter: number; backedUp: boolean } | { ok: false; reason: CheckFailure };

/**
 * The user handle an account's passkeys carry: its id as decimal digits. Opaque to the
 * authenticator, no email or phone in it (WebAuthn asks for no personal data there), and stable,
 * so an assertion's handle can be matched to the account the passkey was found under.
 */
function userHandleOf(userId: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(String(userId), 'utf8'));
}

function descriptors(passkeys: readonly Passkey[]): { id: string; transports: string[] }[] {
  return passkeys.map((p) => ({ id: p.credentialId, transports: [...p.transports] }));
}

/** userVerification 'required', attestation 'none', residentKey 'preferred', the account's existing credentials excluded. */
export function registrationOptions(
  rp: RelyingParty,
  user: { id: number; email: string },
  existing: readonly Passkey[],
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  return generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userID: userHandleOf(user.id),
    userName: user.email,
    userDisplayName: user.email,
    timeout: CHALLENGE_TTL_MS,
    attestationType: 'none',
    excludeCredentials: descriptors(existing),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
    supportedAlgorithmIDs: ALGORITHMS,
  });
}

/** allowCredentials = exactly these passkeys (with their transports), userVerification 'required'. */
export function authenticationOptions(rp: RelyingParty, passkeys: readonly Passkey[]): Promise<PublicKeyCredentialRequestOptionsJSON> {
  return generateAuthenticationOptions({
    rpID: rp.id,
    allowCredentials: descriptors(passkeys),
    userVerification: 'required',
    timeout: CHALLENGE_TTL_MS,
  });
}

/** Never throws: anything @simplewebauthn/server rejects, or a body that is not a registration response at all, is { ok: false }. */
export async function checkRegistration(rp: RelyingParty, response: unknown, expectedChallenge: string): Promise<RegistrationCheck> {
  const shape = attestationShape(response);
  if (!shape) return fail('malformed');
  const clientData = checkClientData(rp, shape, 'webauthn.create', expectedChallenge);
  if ('ok' in clientData) return clientData;
  let authData: AuthData | undefined;
  try {
    authData = parsedAuthData(decodeAttestationObject(new Uint8Array(Buffer.from(shape.attestationObject, 'base64url'))).get('authData'));
  } catch {
    authData = undefined;
  }
  // The credential the authenticator made must be the one the response names.
  if (!authData?.credentialID || !authData.credentialPublicKey) return fail('malformed');
  if (Buffer.from(authData.credentialID).toString('base64url') !== shape.id) return fail('malformed');
  const refused = checkAuthData(rp, authData);
  if (refused) return refused;
  try {
    const verdict = await verifyRegistrationResponse({
      response: {
        id: shape.id,
        rawId: shape.id,
        type: 'public-key',
        response: { clientDataJSON: shape.clientDataJSON, attestationObject: shape.attestationObject, transports: shape.transports },
        clientExtensionResults: {},
      },
      expectedChallenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: true,
      supportedAlgorithmIDs: ALGORITHMS,
    });
    if (!verdict.verified) return fail('signature');
    const info = verdict.registrationInfo;
    return {
      ok: true,
      credential: {
        credentialId: info.credential.id,
        publicKey: info.credential.publicKey,
        counter: info.credential.counter,
        transports: shape.transports,
        deviceType: info.credentialDeviceType,
        backedUp: info.credentialBackedUp,
      },
    };
  } catch (err) {
    return fail(libraryReason(err, 'malformed'));
  }
}

/**
 * `passkey`: the stored passkey of THIS account whose credentialId the response names (the caller
 * looked it up with store.find(userId, response.id)); undefined → 'unknown-credential'. A response
 * whose id differs from passkey.credentialId is 'unknown-credential' too. Never throws.
 */
export async function checkAssertion(
  rp: RelyingParty,
  response: unknown,
  expectedChallenge: string,
  passkey: Passkey | undefined,
): Promise<AssertionCheck> {
  const shape = assertionShape(response);
  if (!shape) return fail('malformed');
  if (!passkey || passkey.credentialId !== shape.id) return fail('unknown-credential');
  // A discoverable credential names its account too: it must be the one the passkey was found under.
  if (shape.userHandle !== undefined && shape.userHandle !== Buffer.from(userHandleOf(passkey.userId)).toString('base64url')) {
    return fail('unknown-credential');
  }
  const clientData = checkClientData(rp, shape, 'webauthn.get', expectedChallenge);
  if ('ok' in clientData) return clientData;
  const authData = parsedAuthData(new Uint8Array(Buffer.from(shape.authenticatorData, 'base64url')));
  if (!authData) return fail('malformed');
  const refused = checkAuthData(rp, authData);
  if (refused) return refused;
  // The library's rule: a counter that did not grow is a cloned authenticator, unless both are 0
  // (synced passkeys keep no counter).
  if ((authData.counter > 0 || passkey.counter > 0) && authData.counter <= passkey.counter) return fail('counter');
  try {
    const verdict = await verifyAuthenticationResponse({
      response: {
        id: shape.id,
        rawId: shape.id,
        type: 'public-key',
        response: { clientDataJSON: shape.clientDataJSON, authenticatorData: shape.authenticatorData, signature: shape.signature, userHandle: shape.userHandle },
        clientExtensionResults: {},
      },
      expectedChallenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      credential: { id: passkey.credentialId, publicKey: new Uint8Array(passkey.publicKey), counter: passkey.counter, transports: passkey.transports },
      requireUserVerification: true,
    });
    if (!verdict.verified) return fail('signature');
    const info = verdict.authenticationInfo;
    return { ok: true, credentialId: passkey.credentialId, newCounter: info.newCounter, backedUp: info.credentialBackedUp };
  } catch (err) {
    // Past our own checks what is left is the signature (one that is not even DER, say) and the
    // stored public key.
    return fail(libraryReason(err, 'signature'));
  }
}
