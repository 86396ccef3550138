// The recent sign-in check's page (src/signin/recent-sign-in.ts sends sensitive actions here):
// the password again (under the sign-in's password budgets: signin/password-check.ts), then a code sent to the account's
// phone (the send budgets, cooldown and allowed countries of a sign-in), checked under the Verify
// request's lock and the account's code budget. The right code marks the session confirmed (a new
// session ID, not a new sign-in) and sends the user back to the action's page. An account with a
// passkey is offered it instead of the code (account-confirm-passkey.ts), or a code on request. A
// recovery code is refused here: it is a way back in without the phone, not a proof of holding it.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import { formBody } from './form-schemas.ts';
import { accountOf } from './signed-in-account.ts';
import { maskEmail, maskPhone } from '../accounts/mask-phone.ts';
import { codeFieldView } from '../verify/delivery-wording.ts';
import { describeWait } from '../state/limits.ts';
import { setRetryAfter } from '../http/retry-after.ts';
import { addressKey } from '../http/address-key.ts';
import { CONFIRM_PATH, takeConfirmReturnTo } from '../signin/recent-sign-in.ts';
import { checkPasswordUnderBudgets } from '../signin/password-check.ts';
import { normalizeEmail } from '../accounts/email.ts';
import { stillBelongs } from '../signin/state.ts';
import { readSignedInCode } from './signed-in-code.ts';
import { confirmCodeSent, endConfirmCode, pendingConfirmCode } from '../signin/factors/verify-code/state.ts';
import type { PendingCode } from '../signin/factors/verify-code/state.ts';
import type { Account } from '../accounts/account-store.ts';
import confirmPasskeyRoutes, { hasPasskey, offerPasskeyChoice, passkeyChoiceOpen } from './account-confirm-passkey.ts';

const confirmBody = formBody({ password: { type: 'string', maxLength: 1024 }, code: { type: 'string', maxLength: 32 } }, []);
const DETAIL = 'step-up';
const BUSY_MS = 1000;

export default async function accountConfirmRoutes(app: FastifyInstance): Promise<void> {
  const { accounts, audit, budgets, limits, signIn, verifyCode } = app;
  const typed = app.withTypeProvider<JsonSchemaToTsProvider>();

  const show = async (request: FastifyRequest, reply: FastifyReply, status: number, error?: string, retryAfterMs?: number) => {
    if (retryAfterMs !== undefined) setRetryAfter(reply, retryAfterMs);
    const waiting = retryAfterMs === undefined ? '' : ` Try again in ${describeWait(retryAfterMs)}.`;
    const code = pendingConfirmCode(request);
    const account = accountOf(request);
    const { channels, codeLength } = app.verify.client;
    // Only the code from the phone here (not a recovery code's 16 digits, as the sign-in's field allows).
    const field = code && { ...codeFieldView(channels, code.step, codeLength), codePattern: `[ \\-]*(?:[0-9][ \\-]*){${codeLength}}` };
    const passkeyChoice = code === undefined && passkeyChoiceOpen(request);
    return reply.page(status, 'confirm', 'Confirm it is you', {
      ...field,
      codeSent: code !== undefined,
      passkeyChoice,
      // Before the password: an account with a passkey is told it may use it next (a rare page: one read).
      passkeyNext: code === undefined && !passkeyChoice && (await hasPasskey(request, account.id)),
      maskedPhone: maskPhone(account.phone),
      maskedEmail: maskEmail(account.email),
      error: error && error + waiting,
      // The message goes beside the form that was sent: with a code pending, a wrong password (or a
      // refused resend) is about the password form below the code's, not about the code.
      errorAtPassword: typeof request.body === 'object' && request.body !== null && 'password' in request.body,
    });
  };

  app.get(CONFIRM_PATH, async (request, reply) => show(request, reply, 200));
  if (app.hasDecorator('passkeys')) await app.register(confirmPasskeyRoutes, { show });

  typed.post(CONFIRM_PATH, { schema: { body: confirmBody }, preValidation: app.checkCsrf }, async (request, reply) => {
    const { password, code } = request.body;
    if (code !== undefined) return checkCode(request, reply, code);
    if (password === undefined) return show(request, reply, 400, 'Enter your password.');
    const perAddress = await limits.consume(['password-ip', addressKey(request.ip)]);
    if (!perAddress.ok) return show(request, reply, 429, 'Too many password attempts from your network.', perAddress.retryAfterMs);
    if (password.length === 0) return show(request, reply, 400, 'Enter your password.');
    const { id: userId, email } = accountOf(request);
    // The sign-in's own password budgets (this browser's device key, else the account's): a wrong
    // password here brings the lockout as near as a wrong one at /login.
    const checked = await checkPasswordUnderBudgets(request, {
      email: normalizeEmail(email),
      password,
      userId,
      // The stored hash as it is now (the gate's copy may be a few seconds old).
      account: () => accounts.findById(userId),
      audit: { throttled: () => DETAIL, failed: { event: 'password-failed', detail: DETAIL }, locked: 'password', ok: { detail: DETAIL } },
    });
    if (checked.throttled) return show(request, reply, 429, 'Too many password attempts.', checked.throttled.retryAfterMs);
    if (!checked.ok) return show(request, reply, 401, 'That password is not right.');
    const running = pendingConfirmCode(request);
    if (running) return sendAgain(request, reply, checked.account, running);
    // An account with a passkey chooses next: the passkey, or "Send a code instead".
    if (await offerPasskeyChoice(request, userId)) return reply.redirect(CONFIRM_PATH, 303);
    const sent = await verifyCode.send(request, checked.account, DETAIL);
    if (!sent.ok) return show(request, reply, sent.refusal.status, sent.refusal.message, sent.refusal.retryAfterMs);
    confirmCodeSent(request, sent.requestId);
    return reply.redirect(CONFIRM_PATH, 303);
  });

  /** The password again while a code is under way: its next delivery (the resend cooldown applies), under its lock. */
  async function sendAgain(request: FastifyRequest, reply: FastifyReply, account: Account, running: PendingCode) {
    if (!(await verifyCode.hold(request, running.requestId))) return show(request, reply, 429, 'Your last request is still being handled.', BUSY_MS);
    const sent = await verifyCode.resend(request, account, running, (requestId) => confirmCodeSent(request, requestId));
    if (sent.kind === 'throttled') return show(request, reply, 429, sent.message, sent.verdict.retryAfterMs);
    if (sent.kind === 'failed') {
      if (sent.outcome.restart) endConfirmCode(request);
      return show(request, reply, sent.outcome.status, sent.outcome.message);
    }
    return reply.redirect(CONFIRM_PATH, 303);
  }

  async function checkCode(request: FastifyRequest, reply: FastifyReply, typed: string) {
    const userId = accountOf(request).id;
    const pending = pendingConfirmCode(request);
    if (!pending) return show(request, reply, 400, 'Enter your password first: then we send you a code.');
    const read = await readSignedInCode(request, typed, 'A recovery code can’t confirm it is you here: enter the code we sent to your phone.');
    if ('refused' in read) return show(request, reply, read.refused.status, read.refused.message, read.refused.retryAfterMs);
    const { code } = read;

    const checked = await verifyCode.check(request, { requestId: pending.requestId, userId, code, detail: DETAIL }, async () => {
      await budgets.codeSucceeded(userId);
      // Read afresh: signed out everywhere or disabled meanwhile, it confirms nothing.
      const account = await accounts.findById(userId);
      const signedIn = request.session.signedIn;
      const back = takeConfirmReturnTo(request);
      if (!account || !signedIn || !stillBelongs(account, signedIn) || !(await signIn.confirmed(request))) return undefined;
      await audit.record('step-up-confirmed', request, { userId });
      return back;
    });
    if (checked.kind === 'right') {
      if (checked.value !== undefined) return reply.redirect(checked.value, 303);
      await audit.record('session-ended', request, { userId, detail: 'ended-during-check' });
      await signIn.end(request, reply, 'session-ended');
      return reply.redirect('/login', 303);
    }
    if (checked.kind === 'busy') return show(request, reply, 429, 'Your last request is still being handled.', BUSY_MS);
    if (checked.kind === 'throttled') return show(request, reply, 429, 'Too many wrong codes for this account.', checked.verdict.retryAfterMs);
    if (checked.outcome.restart) {
      endConfirmCode(request);
      return show(request, reply, checked.outcome.status, "That code can't be used any more. Enter your password again for a new one.");
    }
    return show(request, reply, checked.outcome.status, checked.outcome.message);
  }
}
