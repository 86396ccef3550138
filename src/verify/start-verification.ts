// Starting a Verify request for a sign-in. A request already running to the same phone (a double
// submit, a second tab) is not an error: its code is valid, so the sign-in carries on with it.
// Not for a phone change (`adoptRunning: false`): a request running to a number that is not yet
// the account's was started for someone else (that number's own account signing in), and its ID
// is not this session's to check guesses against or to cancel.
import type { FastifyBaseLogger } from 'fastify';
import type { VerifyClient, VerifyResult } from './verify-client.ts';

export async function startVerification(
  verify: VerifyClient,
  phone: string,
  log: FastifyBaseLogger,
  /** The account's address, for an `email` step in VERIFY_WORKFLOW. */
  email?: string,
  { adoptRunning = true }: { adoptRunning?: boolean } = {},
): Promise<VerifyResult<{ requestId: string; adopted?: true }>> {
  const result = await verify.start(phone, email);
  if (result.ok) return result;
  if (result.failure === 'concurrent' && result.requestId && adoptRunning) {
    log.info({ verifyApi: verify.api }, 'a verification to this phone was already running; continuing with it');
    return { ok: true, requestId: result.requestId, adopted: true };
  }
  logVerifyFailure(log, verify, 'start', result);
  return result;
}

/** One log line per failed Verify call: the failure kind and a secret-free detail, never IDs. */
export function logVerifyFailure(
  log: FastifyBaseLogger,
  verify: VerifyClient,
  operation: 'start' | 'check' | 'resend' | 'cancel',
  result: Extract<VerifyResult, { ok: false }>,
): void {
  const level = result.failure === 'unavailable' || result.failure === 'rejected' ? 'error' : 'info';
  log[level]({ verifyApi: verify.api, operation, failure: result.failure, detail: result.detail }, `verify ${operation} failed: ${result.failure}`);
}
