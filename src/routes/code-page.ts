// The code page (GET /login/code) and what its forms answer with (code.ts, code-actions.ts): the
// pending sign-in with its code (the verify-code factor's part), the page itself, and its refusals.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { maskEmail, maskPhone } from '../accounts/mask-phone.ts';
import { codeFieldView } from '../verify/delivery-wording.ts';
import type { PendingSignIn } from '../signin/state.ts';
import { stillBelongs } from '../signin/state.ts';
import { pendingCode, resendWaitSeconds } from '../signin/factors/verify-code/state.ts';
import { PASSKEY_PATH, awaitingPasskey } from '../signin/factors/passkey.ts';
import type { PendingCode } from '../signin/factors/verify-code/state.ts';
import { describeWait } from '../state/limits.ts';
import type { Verdict } from '../state/limits.ts';
import { setRetryAfter } from '../http/retry-after.ts';
import { addressKey } from '../http/address-key.ts';

const BUSY_MS = 1000;

/** A pending sign-in at its code step: the sign-in's state and the verify-code factor's. */
export interface CodeStep {
  pending: PendingSignIn;
  code: PendingCode;
}

/** The pending sign-in at its code step, or a redirect to /login (with a notice when it timed out). */
export async function codeStepOr303(request: FastifyRequest, reply: FastifyReply): Promise<CodeStep | undefined> {
  const { signIn, accounts, audit } = request.server;
  const pending = signIn.pending(request);
  const code = pending && pendingCode(request);
  const account = pending && (await accounts.findById(pending.userId));
  if (pending && code && account && stillBelongs(account, pending)) {
    request.account = account; // read once per request: the page shows its masked phone
    return { pending, code };
  }
  if (pending && code) {
    // Disabled or deleted mid-sign-in (sessions in Redis outlive the database's own clean-up).
    await audit.record('session-ended', request, { userId: pending.userId, detail: 'account-unavailable' });
    await signIn.end(request, reply, 'account-unavailable');
    return void reply.redirect('/login', 303);
  }
  // Waiting for a passkey, no code sent: the passkey page is this sign-in's step (and offers a code).
  if (pending && awaitingPasskey(request)) return void reply.redirect(PASSKEY_PATH, 303);
  if (signIn.timedOut(request) || pending) await signIn.end(request, reply, 'session-ended');
  return void reply.redirect(signIn.state(request) === 'signed-in' ? '/' : '/login', 303);
}

/** The code form; `resendIn` (seconds) goes on the resend button for code-page.js to count down. */
export async function showCodePage(reply: FastifyReply, status: number, step: CodeStep, error?: string, notice?: string, cooldownMs = 0) {
  const { request } = reply;
  const account = request.account ?? (await request.server.accounts.findById(step.pending.userId));
  const resendIn = Math.max(resendWaitSeconds(step.code), Math.ceil(cooldownMs / 1000));
  const resendWait = resendIn > 0 ? describeWait(resendIn * 1000) : undefined;
  const rememberDays = request.server.rememberBrowser.days;
  const masked = { maskedPhone: account ? maskPhone(account.phone) : '•••', maskedEmail: account ? maskEmail(account.email) : '•••' };
  const { client } = request.server.verify;
  const field = codeFieldView(client.channels, step.code.step, client.codeLength);
  return reply.page(status, 'code', 'Enter your code', { ...masked, ...field, error, notice, resendIn, resendWait, rememberDays });
}

export function codeThrottled(reply: FastifyReply, step: CodeStep, verdict: { retryAfterMs: number; limit?: string }, message: string) {
  setRetryAfter(reply, verdict.retryAfterMs);
  // A refused resend counts down to the cooldown's end in the store: another sign-in to this
  // account (another browser) may have begun it after this one's code went out.
  const cooldownMs = verdict.limit === 'send-cooldown' ? verdict.retryAfterMs : 0;
  return showCodePage(reply, 429, step, `${message} Try again in ${describeWait(verdict.retryAfterMs)}.`, undefined, cooldownMs);
}

export function codeBusy(reply: FastifyReply, step: CodeStep) {
  return codeThrottled(reply, step, { retryAfterMs: BUSY_MS }, 'Your last request for this sign-in is still being handled.');
}

/** Code-step requests per address; answers 429 itself when spent. */
export async function codePerAddress(request: FastifyRequest, reply: FastifyReply, step: CodeStep): Promise<FastifyReply | undefined> {
  const verdict: Verdict = await request.server.limits.consume(['code-ip', addressKey(request.ip)]);
  return verdict.ok ? undefined : codeThrottled(reply, step, verdict, 'Too many requests from your network.');
}
