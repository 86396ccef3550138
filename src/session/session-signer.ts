import { Signer } from '@fastify/cookie';
import type { UnsignResult } from '@fastify/cookie';

/**
 * The session cookie's signer, computing one HMAC per request instead of two: @fastify/session
 * checks the cookie (unsign), then builds its Session and signs the same ID again to learn the
 * cookie value. Signing is deterministic, so when the cookie was just verified against the
 * current secret, that value is the cookie itself. (An old secret's cookie is signed afresh.)
 */
export function signOnceSigner(secrets: string[]): Pick<Signer, 'sign' | 'unsign'> {
  const signer = new Signer(secrets);
  let verified: { value: string; signed: string } | undefined;
  return {
    sign(value: string): string {
      return verified?.value === value ? verified.signed : signer.sign(value);
    },
    unsign(signed: string): UnsignResult {
      const result = signer.unsign(signed);
      verified = result.valid && !result.renew ? { value: result.value, signed } : undefined;
      return result;
    },
  };
}
