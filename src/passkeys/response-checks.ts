// The checks on a WebAuthn response that come before @simplewebauthn/server's, each with its
// reason. First its shape: the JSON @simplewebauthn/browser produces (an object of base64url
// strings of bounded length), or 'malformed', so the library only ever sees well-formed input and
// a refusal can be told apart from a body that was never a response at all. Then, in the
// library's own order, the client data (ceremony, challenge, origin) and the authenticator data
// (relying party ID, user present and verified): the library makes these checks again, but throws
// plain Errors whose text is no API, so the reasons are decided here.
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { parseAuthenticatorData } from '@simplewebauthn/server/helpers';

export type CheckFailure = 'malformed' | 'unknown-credential' | 'challenge' | 'origin' | 'rp-id' | 'user-verification' | 'signature' | 'counter';

/** What the checks need of the relying party (webauthn.ts's RelyingParty). */
interface Expected {
  id: string;
  origin: string;
}

/** The longest credential ID WebAuthn allows is 1023 bytes: 1364 base64url characters. */
const MAX_CREDENTIAL_ID_CHARS = 1364;
/** Authenticators make credential IDs of at least 16 bytes (22 base64url characters). */
const MIN_CREDENTIAL_ID_CHARS = 22;
/**
 * The other fields (client data, authenticator data, an attestation object with "none"
 * attestation, a signature) are a few hundred bytes; a packed attestation with a certificate
 * chain stays well under this. A bound keeps a huge body from being decoded at all.
 */
const MAX_FIELD_CHARS = 16_384;
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;
/** The transports WebAuthn names; others are dropped rather than stored. */
const TRANSPORTS = new Set(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb']);

export interface ResponseCommon {
  id: string;
  clientDataJSON: string;
}
export interface AttestationShape extends ResponseCommon {
  kind: 'registration';
  attestationObject: string;
  transports: string[];
}
export interface AssertionShape extends ResponseCommon {
  kind: 'authentication';
  authenticatorData: string;
  signature: string;
  userHandle: string | undefined;
}

export interface ClientData {
  type: string;
  challenge: string;
  origin: string;
  /** Set when the ceremony ran in a cross-origin iframe: never ours. */
  crossOrigin: boolean;
  topOrigin: unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isBase64url(value: unknown, max = MAX_FIELD_CHARS, min = 1): value is string {
  return typeof value === 'string' && value.length >= min && value.length <= max && BASE64URL.test(value);
}

/** The credential ID a response names (its `id`), if it is a base64url string of sane length. */
export function credentialIdOf(response: unknown): string | undefined {
  if (!isRecord(response)) return undefined;
  const { id } = response;
  return isBase64url(id, MAX_CREDENTIAL_ID_CHARS, MIN_CREDENTIAL_ID_CHARS) && !id.includes('=') ? id : undefined;
}

/** The fields every response has: its id (the same as rawId), its type and its client data. */
function commonShape(response: unknown): (ResponseCommon & { inner: Record<string, unknown> }) | undefined {
  const id = credentialIdOf(response);
  if (id === undefined || !isRecord(response)) return undefined;
  if (response.rawId !== id || response.type !== 'public-key' || !isRecord(response.response)) return undefined;
  const { clientDataJSON } = response.response;
  if (!isBase64url(clientDataJSON)) return undefined;
  return { id, clientDataJSON, inner: response.response };
}

export function attestationShape(response: unknown): AttestationShape | undefined {
  const common = commonShape(response);
  if (!common) return undefined;
  const { attestationObject, transports } = common.inner;
  if (!isBase64url(attestationObject)) return undefined;
  if (transports !== undefined && !(Array.isArray(transports) && transports.length <= 16)) return undefined;
  const known = (transports ?? []).filter((t): t is string => typeof t === 'string' && TRANSPORTS.has(t));
  return { kind: 'registration', id: common.id, clientDataJSON: common.clientDataJSON, attestationObject, transports: [...new Set(known)] };
}

export function assertionShape(response: unknown): AssertionShape | undefined {
  const common = commonShape(response);
  if (!common) return undefined;
  const { authenticatorData, signature, userHandle } = common.inner;
  if (!isBase64url(authenticatorData) || !isBase64url(signature)) return undefined;
  // The browser library leaves userHandle out when the authenticator returned none.
  if (userHandle !== undefined && userHandle !== null && !isBase64url(userHandle, 86)) return undefined;
  return {
    kind: 'authentication',
    id: common.id,
    clientDataJSON: common.clientDataJSON,
    authenticatorData,
    signature,
    userHandle: typeof userHandle === 'string' && userHandle !== '' ? userHandle : undefined,
  };
}

/** The client data the browser wrote, if it is the JSON object WebAuthn defines. */
export function clientDataOf(shape: ResponseCommon): ClientData | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(shape.clientDataJSON, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isRecord(parsed)) return undefined;
  const { type, challenge, origin, crossOrigin, topOrigin } = parsed;
  if (typeof type !== 'string' || typeof challenge !== 'string' || typeof origin !== 'string') return undefined;
  return { type, challenge, origin, crossOrigin: crossOrigin === true, topOrigin };
}

export type Failure = { ok: false; reason: CheckFailure };
export const fail = (reason: CheckFailure): Failure => ({ ok: false, reason });

/** The client data's checks, in the library's order: the ceremony, the challenge, the origin. */
export function checkClientData(rp: Expected, shape: ResponseCommon, type: string, expectedChallenge: string): Failure | ClientData {
  const clientData = clientDataOf(shape);
  if (!clientData || clientData.type !== type) return fail('malformed');
  // An empty expected challenge is a session that holds none: nothing can answer it.
  if (typeof expectedChallenge !== 'string' || expectedChallenge === '' || clientData.challenge !== expectedChallenge) return fail('challenge');
  // Our pages never run in someone else's iframe: a cross-origin ceremony is refused outright.
  if (clientData.origin !== rp.origin || clientData.crossOrigin || clientData.topOrigin !== undefined) return fail('origin');
  return clientData;
}

export type AuthData = ReturnType<typeof parseAuthenticatorData>;

/** The authenticator data's checks: our relying party ID's hash, the user present and verified. */
export function checkAuthData(rp: Expected, authData: AuthData): Failure | undefined {
  const expected = createHash('sha256').update(rp.id, 'utf8').digest();
  if (!expected.equals(authData.rpIdHash)) return fail('rp-id');
  if (!authData.flags.up || !authData.flags.uv) return fail('user-verification');
  return undefined;
}

/** An error the library threw once our checks had passed: its origin and RP ID codes, else `otherwise`. */
export function libraryReason(err: unknown, otherwise: CheckFailure): CheckFailure {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'UNEXPECTED_ORIGIN') return 'origin';
  if (code === 'UNEXPECTED_RP_ID') return 'rp-id';
  return otherwise;
}

/** The authenticator data's fields, or undefined for bytes that are not authenticator data. */
export function parsedAuthData(bytes: Uint8Array<ArrayBuffer>): AuthData | undefined {
  try {
    return parseAuthenticatorData(bytes);
  } catch {
    return undefined;
  }
}
