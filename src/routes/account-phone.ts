// Changing the phone (/account/phone): a sensitive action behind the recent sign-in check (NIST SP
// 800-63B: both factors at the time of the change; ASVS 7.5.1). The new number (new-phone.ts),
// then a code sent TO IT through the sign-in's own send (its budgets, cooldown, the account's and
// the new phone's SMS-pumping budgets, allowed countries; a Verify request already running to that
// number is someone else's and is never taken over: 409), then that code checked under the Verify
// request's lock and the account's code budget (account-phone-code.ts). Only the right code stores the number, in one
// statement that also moves the session epoch and forgets the remembered browsers, and only if the
// phone is still the one the change began from; the other sessions end, this one stays signed in.
// The new number and its Verify request live in the session (verify-code/state.ts), never in a
// page beyond the masked number, a log line or the audit log (its calling code only).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import { csrfOnlyBody, formBody } from './form-schemas.ts';
import { accountOf } from './signed-in-account.ts';
import { maskPhone } from '../accounts/mask-phone.ts';
import { parseNewPhone } from '../accounts/new-phone.ts';
import type { Account } from '../accounts/account-store.ts';
import { phoneAllowed } from '../verify/allowed-countries.ts';
import { codeFieldView } from '../verify/delivery-wording.ts';
import { describeWait } from '../state/limits.ts';
import { setRetryAfter } from '../http/retry-after.ts';
import { stillBelongs } from '../signin/state.ts';
import { BUSY_MS, DETAIL, TAKEN_OVER, createPhoneCodeCheck } from './account-phone-code.ts';
import { endPhoneChange, pendingPhoneChange, phoneChangeCodeSent, resendWaitSeconds } from '../signin/factors/verify-code/state.ts';
import type { PendingPhoneChange } from '../signin/factors/verify-code/state.ts';

export const PHONE_PATH = '/account/phone';
const phoneBody = formBody({ phone: { type: 'string', maxLength: 64 }, code: { type: 'string', maxLength: 32 } }, []);
const NO_NUMBER = "We can't send a code to that number. Check it, or enter another mobile number.";
/** Verify's "concurrent": a request to that number, not this change's, is running (its own account signing in, say). */
const NUMBER_BUSY = 'A code is already on its way to that number for something else. Wait a few minutes, then try again.';
const NEW_PHONE = { newPhone: true };

/** The code goes to the new phone, never to the account's email: a code by email proves nothing about the phone. */
const toNewPhone = (account: Account, phone: string): Account => ({ ...account, phone, email: '' });

export default async function accountPhoneRoutes(app: FastifyInstance): Promise<void> {
  const { accounts, audit, budgets, signIn, verifyCode } = app;
  const { client, allowedCountries } = app.verify;
  const typed = app.withTypeProvider<JsonSchemaToTsProvider>();
  // VERIFY_WORKFLOW without its email step (verify-client.ts leaves it out without an address).
  const phoneChannels = client.channels.filter((channel) => channel !== 'email');
  const recent = app.requireRecentSignIn(PHONE_PATH);

  // typedPhone: the number the user typed, given back in the field when it is refused (theirs: they typed it).
  const show = (request: FastifyRequest, reply: FastifyReply, status: number, error?: string, retryAfterMs?: number, typedPhone?: string) => {
    if (retryAfterMs !== undefined) setRetryAfter(reply, retryAfterMs);
    const waiting = retryAfterMs === undefined ? '' : ` Try again in ${describeWait(retryAfterMs)}.`;
    const change = pendingPhoneChange(request);
    // Only the code from the new phone here: exactly VERIFY_CODE_LENGTH digits, no recovery code.
    const field = change && {
      ...codeFieldView(phoneChannels, change.step, client.codeLength),
      codePattern: `[ \\-]*(?:[0-9][ \\-]*){${client.codeLength}}`,
    };
    const resendIn = change ? Math.max(resendWaitSeconds(change), retryAfterMs === undefined ? 0 : Math.ceil(retryAfterMs / 1000)) : 0;
    return reply.page(status, 'phone', 'Change your phone number', {
      ...field,
      codeSent: change !== undefined,
      currentPhone: maskPhone(accountOf(request).phone),
      newPhone: change && maskPhone(change.phone),
      resendIn,
      resendWait: resendIn > 0 ? describeWait(resendIn * 1000) : undefined,
      error: error && error + waiting,
      typedPhone,
    });
  };

  /** This session no longer stands for the account (signed out everywhere, a change elsewhere won). */
  const signedOut = async (request: FastifyRequest, reply: FastifyReply, status: number, message: string) => {
    await signIn.end(request, reply);
    return reply.page(status, 'error', 'Phone number not changed', { heading: 'Phone number not changed', message, retry: { href: '/login', label: 'Sign in again' } });
  };

  /**
   * Whether the number's own sign-in took this change's Verify request over meanwhile (Vonage
   * answered that sign-in "concurrent" with this request's ID: send-code.ts marks it): then the
   * request is the sign-in's, and the change ends here with no Verify call, neither cancelling it
   * nor spending its guesses.
   */
  const takenOver = async (request: FastifyRequest, change: PendingPhoneChange) => {
    if (!(await budgets.verifyShared(change.requestId))) return false;
    endPhoneChange(request);
    await audit.record('phone-change-failed', request, { userId: accountOf(request).id, detail: 'taken-over-by-sign-in' });
    return true;
  };

  const checkCode = createPhoneCodeCheck(app, { show, signedOut, takenOver });

  app.get(PHONE_PATH, { preHandler: recent }, async (request, reply) => show(request, reply, 200));

  typed.post(PHONE_PATH, { schema: { body: phoneBody }, preValidation: app.checkCsrf, preHandler: recent }, async (request, reply) => {
    const { phone, code } = request.body;
    if (code !== undefined) return checkCode(request, reply, code);
    if (phone === undefined) return show(request, reply, 400, 'Enter your new phone number.');
    return start(request, reply, phone);
  });

  typed.post(`${PHONE_PATH}/resend`, { schema: { body: csrfOnlyBody }, preValidation: app.checkCsrf, preHandler: recent }, async (request, reply) => {
    const change = pendingPhoneChange(request);
    if (!change) return reply.redirect(PHONE_PATH, 303);
    return sendAgain(request, reply, accountOf(request), change);
  });

  // Not a sensitive action: giving up a change needs no recent sign-in.
  typed.post(`${PHONE_PATH}/cancel`, { schema: { body: csrfOnlyBody }, preValidation: app.checkCsrf }, async (request, reply) => {
    const change = pendingPhoneChange(request);
    if (change && !(await takenOver(request, change))) await verifyCode.cancel(request, change);
    endPhoneChange(request);
    return reply.redirect(PHONE_PATH, 303);
  });

  async function start(request: FastifyRequest, reply: FastifyReply, typedPhone: string) {
    const admitted = accountOf(request);
    // Read afresh: the phone this change replaces is the one stored now.
    const account = await accounts.findById(admitted.id);
    if (!account || !stillBelongs(account, { epoch: admitted.sessionEpoch })) {
      await audit.record('session-ended', request, { userId: admitted.id, detail: 'account-unavailable' });
      return signedOut(request, reply, 409, 'Your account changed meanwhile, and this browser was signed out. Sign in again.');
    }
    if (phoneChannels.length === 0) {
      return show(request, reply, 409, "Codes are sent only by email here, so a new phone number can't be confirmed. Contact your administrator.");
    }
    const parsed = parseNewPhone(typedPhone, account.phone, (e164) => phoneAllowed(e164, allowedCountries));
    if (!parsed.ok) {
      if (parsed.country) await audit.record('code-send-refused-country', request, { userId: account.id, detail: `${DETAIL} +${parsed.country}` });
      return show(request, reply, parsed.country ? 403 : 400, parsed.problem, undefined, typedPhone);
    }
    const running = pendingPhoneChange(request);
    if (running && running.phone === parsed.e164) return sendAgain(request, reply, account, running);
    if (running) {
      // Another number now: the first one's code is of no use any more.
      if (!(await takenOver(request, running))) await verifyCode.cancel(request, running);
      endPhoneChange(request);
    }
    const sent = await verifyCode.send(request, toNewPhone(account, parsed.e164), DETAIL, NEW_PHONE);
    if (!sent.ok) {
      const message = sent.refusal.status === 422 ? NO_NUMBER : sent.why === 'failed' && sent.refusal.status === 409 ? NUMBER_BUSY : sent.refusal.message;
      return show(request, reply, sent.refusal.status, message, sent.refusal.retryAfterMs, typedPhone);
    }
    phoneChangeCodeSent(request, { phone: parsed.e164, replaces: account.phone }, sent.requestId);
    // Kept now rather than after the answer: a session store failing there would leave this Verify
    // request running with no session holding it, and the number busy ("concurrent", refused as
    // someone else's) for every retry until it expires. Cancelled, it frees the number for the retry.
    await request.session.save().catch(async (error: unknown) => {
      await verifyCode.cancel(request, pendingPhoneChange(request) as PendingPhoneChange);
      throw error;
    });
    await audit.record('phone-change-started', request, { userId: account.id, detail: `+${parsed.callingCode}` });
    return reply.redirect(PHONE_PATH, 303);
  }

  /** "Send a new code" (or the same number again): the next delivery of its Verify request, under its lock and the resend cooldown. */
  async function sendAgain(request: FastifyRequest, reply: FastifyReply, account: Account, change: PendingPhoneChange) {
    if (await takenOver(request, change)) return show(request, reply, 409, TAKEN_OVER);
    if (!(await verifyCode.hold(request, change.requestId))) return show(request, reply, 429, 'Your last request is still being handled.', BUSY_MS);
    const { phone, replaces } = change;
    const sent = await verifyCode.resend(request, toNewPhone(account, phone), change, (requestId) => phoneChangeCodeSent(request, { phone, replaces }, requestId), NEW_PHONE);
    if (sent.kind === 'throttled') return show(request, reply, 429, sent.message, sent.verdict.retryAfterMs);
    if (sent.kind === 'failed') {
      if (sent.outcome.restart) endPhoneChange(request);
      return show(request, reply, sent.outcome.status, sent.outcome.status === 422 ? NO_NUMBER : sent.outcome.message);
    }
    return reply.redirect(PHONE_PATH, 303);
  }
}
