// "Send a new code" for a pending sign-in: the next delivery of its Verify request, or a fresh
// request when none is left. Called under the request's lock (routes/code-actions.ts).
import type { FastifyRequest } from 'fastify';
import type { Account } from '../../../accounts/account-store.ts';
import type { Verdict } from '../../../state/limits.ts';
import { addressKey } from '../../../http/address-key.ts';
import { describeFailure } from '../../../verify/outcome-messages.ts';
import type { FailureMessage } from '../../../verify/outcome-messages.ts';
import { logVerifyFailure, startVerification } from '../../../verify/start-verification.ts';
import type { VerifyResult } from '../../../verify/verify-client.ts';
import type { SendCodeDeps, SendOptions } from './send-code.ts';
import { codeSent } from './state.ts';
import type { PendingCode } from './state.ts';

export type ResendOutcome =
  | { kind: 'sent' }
  | { kind: 'throttled'; verdict: Verdict & { ok: false }; message: string }
  | { kind: 'failed'; outcome: FailureMessage };

/** `onSent`: where the (possibly new) Verify request is kept; by default the pending sign-in's, its 10 minutes renewed. */
export async function resendCode(
  deps: SendCodeDeps,
  request: FastifyRequest,
  account: Account,
  code: PendingCode,
  onSent = (requestId: string) => {
    codeSent(request, requestId, 'resent');
    request.server.signIn.renew(request);
  },
  options: SendOptions = {},
): Promise<ResendOutcome> {
  const { verify, budgets, audit } = deps;
  const send = await budgets.reserveSend('resend', { userId: account.id, phone: account.phone, ip: addressKey(request.ip), newPhone: options.newPhone });
  if (!send.verdict.ok) {
    const cooling = send.verdict.limit === 'send-cooldown';
    if (!cooling && send.verdict.first) await audit.record('code-send-throttled', request, { userId: account.id, detail: send.verdict.limit });
    const message = cooling ? 'A code was sent moments ago. You can ask for another soon.' : 'Too many codes have been sent to your phone.';
    return { kind: 'throttled', verdict: send.verdict, message };
  }
  const result = await resendOrRestart(deps, request, code, account, options);
  if (!result.ok) {
    await send.refund(); // nothing went out: no cooldown, no budget spent
    logVerifyFailure(request.log, verify, 'resend', result);
    return { kind: 'failed', outcome: describeFailure(result.failure) };
  }
  await audit.record('code-resent', request, { userId: account.id });
  onSent(result.requestId);
  return { kind: 'sent' };
}

/** The next delivery of this Verify request; when none is left, a fresh request replaces it. */
async function resendOrRestart(
  deps: SendCodeDeps,
  request: FastifyRequest,
  code: PendingCode,
  account: { phone: string; email: string },
  { newPhone = false }: SendOptions,
): Promise<VerifyResult<{ requestId: string }>> {
  const { verify } = deps;
  const result = await verify.resend(code.requestId);
  if (result.ok) return { ok: true, requestId: code.requestId };
  if (result.failure !== 'no-more-events') return result;
  await verify.cancel(code.requestId);
  const started = await startVerification(verify, account.phone, request.log, account.email, { adoptRunning: !newPhone });
  // The old request still running (a cancel refused, or Vonage catching up): no new code went out.
  if (started.ok && started.requestId === code.requestId) return { ok: false, failure: 'concurrent' };
  // Another request running to this phone (a phone change's, say) carries it on: mark it taken over.
  if (started.ok && started.adopted) await deps.budgets.markVerifyShared(started.requestId);
  return started;
}

/** Best effort, as Cancel and a recovery code do: the code from the phone is not needed any more. */
export async function cancelCode(deps: Pick<SendCodeDeps, 'verify'>, request: FastifyRequest, code: PendingCode): Promise<void> {
  const cancelled = await deps.verify.cancel(code.requestId);
  if (!cancelled.ok) logVerifyFailure(request.log, deps.verify, 'cancel', cancelled);
}
