// A code from the phone typed on a signed-in page (the recent sign-in check at /account/confirm, the
// phone change at /account/phone), read the same way on both: never a recovery code (it proves no
// phone is held), exactly VERIFY_CODE_LENGTH digits, and under the address's code budget.
import type { FastifyRequest } from 'fastify';
import { readRecoveryCode } from '../signin/factors/recovery-code.ts';
import { codeShapeError, normalizeCode } from '../verify/code-shape.ts';
import { addressKey } from '../http/address-key.ts';

export type TypedCode = { code: string } | { refused: { status: number; message: string; retryAfterMs?: number } };

/** `recoveryRefusal`: what the page says when a recovery code was typed. */
export async function readSignedInCode(request: FastifyRequest, typed: string, recoveryRefusal: string): Promise<TypedCode> {
  const { limits, verify } = request.server;
  if (readRecoveryCode(typed)) return { refused: { status: 400, message: recoveryRefusal } };
  const code = normalizeCode(typed, verify.client.codeLength);
  if (code === undefined) return { refused: { status: 400, message: codeShapeError(verify.client.codeLength) } };
  const perAddress = await limits.consume(['code-ip', addressKey(request.ip)]);
  if (!perAddress.ok) return { refused: { status: 429, message: 'Too many requests from your network.', retryAfterMs: perAddress.retryAfterMs } };
  return { code };
}
