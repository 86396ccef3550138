// A software passkey authenticator for inject-level tests: a P-256 key made with node:crypto, a
// `fmt: 'none'` attestation, and assertions signed as a real authenticator signs them (ES256 over
// authenticatorData || SHA-256(clientDataJSON)), built with @simplewebauthn/server's own CBOR and
// base64url helpers. The real @simplewebauthn/server in the app verifies what it makes. The test
// controls the flags (UP, UV, BE, BS), the signature counter, the origin and the RP ID, so a test
// can make exactly the response a broken or hostile authenticator would.
import { createHash, createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { isoBase64URL, isoCBOR } from '@simplewebauthn/server/helpers';

const UP = 0x01;
const UV = 0x04;
const BE = 0x08;
const BS = 0x10;
const AT = 0x40;

export interface SoftAuthenticatorOptions {
  /** The origin the "browser" puts in clientDataJSON (default: the test app's, http://localhost:3000). */
  origin?: string;
  /** The RP ID whose hash goes in authenticatorData (default: localhost). */
  rpId?: string;
  /** User verified (default true); false makes a response the app must refuse. */
  userVerified?: boolean;
  /** Backup eligible and backed up (a synced passkey): default false, false. */
  backupEligible?: boolean;
  backedUp?: boolean;
  /** The signature counter (0: keeps none, as synced passkeys do). Each assertion adds `counterStep`. */
  counter?: number;
  counterStep?: number;
}

interface Challenged {
  challenge: string;
}

export interface SoftAuthenticator {
  /** base64url, as the server stores it. */
  readonly credentialId: string;
  /** The COSE public key, as a registration stores it (for a test that seeds the row itself). */
  readonly publicKey: Uint8Array;
  /** The settings, changeable between calls (e.g. `counter = 0` to replay an old counter). */
  settings: Required<SoftAuthenticatorOptions>;
  /** A registration response (as @simplewebauthn/browser's startRegistration returns it) to these options. */
  register(options: Challenged): Record<string, unknown>;
  /** An authentication response to these options, signed with this key. */
  assert(options: Challenged): Record<string, unknown>;
}

const sha256 = (data: Uint8Array | string) => new Uint8Array(createHash('sha256').update(data).digest());
const u32 = (n: number) => {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, n);
  return bytes;
};
const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

function cosePublicKey(publicKey: KeyObject): Uint8Array {
  const jwk = publicKey.export({ format: 'jwk' });
  const key = new Map<number, number | Uint8Array>([
    [1, 2], // kty: EC2
    [3, -7], // alg: ES256
    [-1, 1], // crv: P-256
    [-2, isoBase64URL.toBuffer(jwk.x as string)],
    [-3, isoBase64URL.toBuffer(jwk.y as string)],
  ]);
  return isoCBOR.encode(key);
}

export function softAuthenticator(options: SoftAuthenticatorOptions = {}): SoftAuthenticator {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const rawId = new Uint8Array(randomBytes(32));
  const credentialId = isoBase64URL.fromBuffer(rawId);
  const settings: Required<SoftAuthenticatorOptions> = {
    origin: 'http://localhost:3000',
    rpId: 'localhost',
    userVerified: true,
    backupEligible: false,
    backedUp: false,
    counter: 0,
    counterStep: 0,
    ...options,
  };

  const flags = (extra = 0) =>
    UP | (settings.userVerified ? UV : 0) | (settings.backupEligible ? BE : 0) | (settings.backedUp ? BS : 0) | extra;
  const clientData = (type: string, challenge: string) =>
    new TextEncoder().encode(JSON.stringify({ type, challenge, origin: settings.origin, crossOrigin: false }));

  const cose = cosePublicKey(publicKey);
  return {
    credentialId,
    publicKey: cose,
    settings,
    register({ challenge }) {
      const authData = concat(
        sha256(settings.rpId),
        Uint8Array.of(flags(AT)),
        u32(settings.counter),
        new Uint8Array(16), // AAGUID: none
        Uint8Array.of(rawId.length >> 8, rawId.length & 0xff),
        rawId,
        cose,
      );
      const attestationObject = isoCBOR.encode(new Map<string, unknown>([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]]) as never);
      return {
        id: credentialId,
        rawId: credentialId,
        type: 'public-key',
        response: {
          clientDataJSON: isoBase64URL.fromBuffer(clientData('webauthn.create', challenge)),
          attestationObject: isoBase64URL.fromBuffer(attestationObject),
          transports: ['internal'],
        },
        clientExtensionResults: {},
        authenticatorAttachment: 'platform',
      };
    },
    assert({ challenge }) {
      settings.counter += settings.counterStep;
      const authData = concat(sha256(settings.rpId), Uint8Array.of(flags()), u32(settings.counter));
      const clientDataJSON = clientData('webauthn.get', challenge);
      const signature = createSign('sha256').update(concat(authData, sha256(clientDataJSON))).sign(privateKey);
      return {
        id: credentialId,
        rawId: credentialId,
        type: 'public-key',
        response: {
          clientDataJSON: isoBase64URL.fromBuffer(clientDataJSON),
          authenticatorData: isoBase64URL.fromBuffer(authData),
          signature: isoBase64URL.fromBuffer(new Uint8Array(signature)),
        },
        clientExtensionResults: {},
        authenticatorAttachment: 'platform',
      };
    },
  };
}
