// An ES256 authenticator in a few lines of node:crypto, for the assertions Chromium's virtual
// authenticator never makes: a synced passkey's (signature counter 0, the backup flags set). Its
// responses are signed for real, so the checks judge them exactly as a device's.
import { Buffer } from 'node:buffer';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;

export interface SoftwareAuthenticator {
  credentialId: string;
  /** The COSE public key, as a registration would have stored it. */
  publicKey: Uint8Array;
  /** An assertion JSON as @simplewebauthn/browser sends it. */
  assert(options: { rpId: string; origin: string; challenge: string; counter: number; backedUp: boolean; userHandle?: string }): unknown;
}

export function softwareAuthenticator(): SoftwareAuthenticator {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const cose = new Map<number, number | Uint8Array>([
    [1, 2], // kty: EC2
    [3, -7], // alg: ES256
    [-1, 1], // crv: P-256
    [-2, new Uint8Array(Buffer.from(jwk.x as string, 'base64url'))],
    [-3, new Uint8Array(Buffer.from(jwk.y as string, 'base64url'))],
  ]);
  const credentialId = Buffer.from(createHash('sha256').update(jwk.x as string).digest()).toString('base64url');
  return {
    credentialId,
    publicKey: isoCBOR.encode(cose),
    assert({ rpId, origin, challenge, counter, backedUp, userHandle }) {
      const flags = FLAG_UP | FLAG_UV | FLAG_BE | (backedUp ? FLAG_BS : 0);
      const counterBytes = Buffer.alloc(4);
      counterBytes.writeUInt32BE(counter);
      const authData = Buffer.concat([createHash('sha256').update(rpId).digest(), Buffer.from([flags]), counterBytes]);
      const clientData = Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge, origin, crossOrigin: false }));
      const signed = Buffer.concat([authData, createHash('sha256').update(clientData).digest()]);
      return {
        id: credentialId,
        rawId: credentialId,
        type: 'public-key',
        response: {
          authenticatorData: authData.toString('base64url'),
          clientDataJSON: clientData.toString('base64url'),
          signature: sign('sha256', signed, privateKey).toString('base64url'),
          ...(userHandle === undefined ? {} : { userHandle }),
        },
        clientExtensionResults: {},
      };
    },
  };
}
